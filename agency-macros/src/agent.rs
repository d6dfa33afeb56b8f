//! `#[agent]` on a unit struct.

use std::path::PathBuf;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Item, ItemStruct, LitStr};

use crate::agent_options::AgentOptions;
use crate::crate_path::{respanned, runtime_path};
use crate::docs;
use crate::errors::Errors;
use crate::registration;

/// Parses the options and the item, and expands.
pub(crate) fn expand_attribute(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = AgentOptions::parse(attr, &mut errors);
    let rt = runtime_path();
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(s)) => expand(options, s, &rt, errors),
        Ok(other) => {
            let span = match &other {
                Item::Fn(f) => f.sig.fn_token.span,
                other => crate::item_keyword_span(other),
            };
            errors.at_span(
                span,
                "#[agent] goes on a unit struct (`struct Assistant;`): the attribute's options \
                 configure the agent",
            );
            errors.followed_by(other)
        }
        Err(error) => {
            errors.push(error);
            errors.followed_by(item)
        }
    }
}

/// Keeps the struct, adds `pub fn agent() -> Agent` (built once, then cloned), implements
/// `IntoAgent` and registers the agent.
fn expand(
    options: AgentOptions,
    item: ItemStruct,
    rt: &TokenStream,
    mut errors: Errors,
) -> TokenStream {
    check(&item, &mut errors);
    let ident = &item.ident;
    let (name, name_span) = match &options.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (ident.unraw().to_string(), ident.span()),
    };
    if options.name.is_some() && name.contains('/') {
        errors.at_span(
            name_span,
            format!("invalid agent name `{name}`: an agent name cannot contain `/` (it is part of routes)"),
        );
    }
    let instructions = instructions(&options, &mut errors);
    let cfgs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();

    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        // Stubs keep uses of the agent from piling more errors on the ones above.
        let stub = item.generics.params.is_empty().then(|| {
            quote! {
                #(#cfgs)*
                impl #ident {
                    #[allow(dead_code)]
                    pub fn agent() -> #rt::Agent { ::core::unreachable!() }
                }
                #(#cfgs)*
                impl #rt::IntoAgent for #ident {
                    fn into_agent(self) -> #rt::Agent { ::core::unreachable!() }
                }
            }
        });
        return quote!(#item #errors #stub);
    }

    let description = match &options.description {
        Some(lit) => Some(quote!(#lit)),
        None => docs::description(&item.attrs),
    };
    let mut calls = Vec::new();
    if let Some(d) = description {
        calls.push(quote!(.description(#d)));
    }
    if let Some(i) = instructions {
        calls.push(quote!(.instructions(#i)));
    }
    for path in options.tools.iter().flatten() {
        // Spanned on the path: an item that is not a tool is reported there.
        let at = respanned(rt, path.span());
        calls
            .push(quote_spanned!(path.span()=> .tool(<#path as #at::__private::ToolItem>::tool())));
    }
    for server in options.mcp.iter().flatten() {
        // Spanned on the expression: a value that is no MCP server is reported there.
        let at = respanned(rt, server.span());
        calls.push(quote_spanned!(server.span()=> .toolset(#at::mcp::IntoMcpServer::into_mcp_server(#server))));
    }
    if let Some(model) = &options.model {
        calls.push(quote!(.model(#model)));
    }
    if let Some(t) = &options.temperature {
        let v = spanned_literal(Literal::f64_suffixed(t.value), t.span);
        calls.push(quote!(.temperature(#v)));
    }
    if let Some(p) = &options.top_p {
        let v = spanned_literal(Literal::f64_suffixed(p.value), p.span);
        calls.push(quote!(.top_p(#v)));
    }
    if let Some(n) = &options.max_output_tokens {
        let v = spanned_literal(Literal::u32_suffixed(n.value), n.span);
        calls.push(quote!(.max_output_tokens(#v)));
    }
    if let Some(effort) = &options.reasoning_effort {
        calls.push(quote!(.reasoning_effort(#effort)));
    }
    if let Some(b) = &options.parallel_tool_calls {
        calls.push(quote!(.parallel_tool_calls(#b)));
    }
    if let Some(choice) = &options.tool_choice {
        calls.push(quote!(.tool_choice(#choice)));
    }
    if let Some(b) = &options.include_usage {
        calls.push(quote!(.include_usage(#b)));
    }
    for starter in options.conversation_starters.iter().flatten() {
        calls.push(quote!(.conversation_starter(#starter)));
    }
    for reply in options.quick_replies.iter().flatten() {
        calls.push(quote!(.quick_reply(#reply)));
    }
    if let Some(ty) = &options.output {
        // Spanned on the type: one that is not `JsonSchema` is reported there.
        calls.push(quote_spanned!(ty.span()=> .output_type::<#ty>()));
    }
    if let Some(n) = &options.max_turns {
        let v = spanned_literal(Literal::u32_suffixed(n.value), n.span);
        calls.push(quote!(.max_turns(#v)));
    }

    let agent_doc = format!(
        " The agent `{name}`, generated by `#[agent]`: built on the first call, then cloned \
         (clones share it)."
    );
    let registration = registration::submit(
        rt,
        "AgentRegistration",
        &name,
        quote!(#ident::agent),
        cfgs.iter().copied(),
        name_span,
    );

    quote! {
        #item

        #(#cfgs)*
        impl #ident {
            #[doc = #agent_doc]
            pub fn agent() -> #rt::Agent {
                static __AGENCY_AGENT: ::std::sync::LazyLock<#rt::Agent> =
                    ::std::sync::LazyLock::new(|| {
                        #rt::Agent::builder(#name) #(#calls)* .build()
                    });
                ::core::clone::Clone::clone(&*__AGENCY_AGENT)
            }
        }

        #(#cfgs)*
        impl #rt::IntoAgent for #ident {
            fn into_agent(self) -> #rt::Agent {
                #ident::agent()
            }
        }

        #registration
    }
}

/// Reports what an agent struct cannot be: generic, or with fields.
fn check(item: &ItemStruct, errors: &mut Errors) {
    errors.no_generics(&item.generics, "#[agent] structs", None);
    if !matches!(item.fields, Fields::Unit) {
        errors.at(
            &item.ident,
            format!(
                "#[agent] goes on a unit struct (`struct {};`): the attribute's options configure \
                 the agent, not fields",
                item.ident
            ),
        );
    }
}

/// The instructions expression: the inline text, or `include_str!` of the file (so that editing
/// the file rebuilds the program).
fn instructions(options: &AgentOptions, errors: &mut Errors) -> Option<TokenStream> {
    match (&options.instructions, &options.instructions_file) {
        (Some(_), Some(file)) => {
            errors.at_span(
                file.span(),
                "give either `instructions` or `instructions_file`, not both",
            );
            None
        }
        (Some(text), None) => Some(quote!(#text)),
        (None, Some(file)) => match resolve(file) {
            Ok(path) => {
                let path = LitStr::new(&path, file.span());
                Some(quote_spanned!(file.span()=> ::core::include_str!(#path)))
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
        (None, None) => None,
    }
}

/// The absolute path of `instructions_file`, relative to the crate's `CARGO_MANIFEST_DIR`.
fn resolve(file: &LitStr) -> syn::Result<String> {
    let relative = file.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let path = base.join(&relative);
    if !path.is_file() {
        let what = if path.exists() {
            "is not a file"
        } else {
            "not found"
        };
        return Err(syn::Error::new(
            file.span(),
            format!(
                "instructions_file `{relative}` {what} (looked for {}); the path is relative to \
                 the crate's directory, where its Cargo.toml is",
                path.display()
            ),
        ));
    }
    path.to_str().map(str::to_owned).ok_or_else(|| {
        syn::Error::new(
            file.span(),
            format!(
                "instructions_file `{relative}`: the path {} is not valid UTF-8",
                path.display()
            ),
        )
    })
}

fn spanned_literal(mut literal: Literal, span: Span) -> Literal {
    literal.set_span(span);
    literal
}
