//! `#[tool]` on a function.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

use crate::crate_path::{private_crate_str, respanned};
use crate::errors::Errors;
use crate::options::Options;
use crate::params::{self, Param};
use crate::tool_meta::ToolMeta;

/// Re-emits the function (without its parameter docs), adds a braced struct of the same name
/// with `pub fn tool() -> Tool`, and registers the tool.
///
/// A braced struct lives in the type namespace only, so `add(1, 2)` still calls the function
/// while `add::tool()` builds the tool; unlike a module it sees the function's scope, so tools
/// can be defined anywhere items can (a function body, a doctest) and parameter types resolve
/// exactly as in the signature.
pub(crate) fn expand(
    options: Options,
    mut item: ItemFn,
    rt: &TokenStream,
    mut errors: Errors,
) -> TokenStream {
    let meta = ToolMeta::new(options, &item.sig.ident, &item.attrs, &mut errors);
    check_signature(&item, &mut errors);
    let params = params::take(&mut item.sig, &mut errors);

    let ident = &item.sig.ident;
    let vis = &item.vis;
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        // A `self` receiver means a method: a struct cannot follow it inside an `impl`.
        let has_receiver = item.sig.receiver().is_some();
        let cfgs = &meta.cfgs;
        let stub = (!has_receiver).then(|| {
            quote! {
                #(#cfgs)*
                #[doc(hidden)]
                #[allow(non_camel_case_types, dead_code)]
                #vis struct #ident {}
                #(#cfgs)*
                impl #ident {
                    pub fn tool() -> #rt::Tool { ::core::unreachable!() }
                }
            }
        });
        return quote!(#item #errors #stub);
    }

    let args = format_ident!("__AgencyToolArgs");
    let title = format!("{}_args", meta.name);
    let serde_crate = private_crate_str(rt, "serde");
    let schemars_crate = private_crate_str(rt, "schemars");
    let mut fields = Vec::new();
    let mut bindings = Vec::new();
    let mut call_args = Vec::new();
    let mut uses_context = false;
    let mut states = Vec::new();
    let mut requires = Vec::new();
    for param in &params {
        match param {
            Param::Input { ident, attrs, ty } => {
                // The field keeps the parameter type's span: a type that is not `JsonSchema` or
                // `Deserialize` is reported on the parameter.
                fields.push(quote_spanned!(ty.span()=> #(#attrs)* #ident: #ty));
                bindings.push(ident);
                call_args.push(quote!(#ident));
            }
            Param::State { ty } => {
                uses_context = true;
                let local = format_ident!("__state_{}", states.len());
                // A missing value is refused before the call (see `Tool::call`); this is the
                // same check, for a context built by hand.
                states.push(quote_spanned!(ty.span()=>
                    let #local = match <#ty>::from_context(&__ctx) {
                        ::core::result::Result::Ok(__value) => __value,
                        ::core::result::Result::Err(__error) => return ::core::result::Result::Err(__error),
                    };
                ));
                requires.push(quote_spanned!(ty.span()=> .requires(<#ty>::key())));
                call_args.push(quote!(#local));
            }
            Param::Context { by_ref } => {
                uses_context = true;
                call_args.push(match by_ref {
                    true => quote!(&__ctx),
                    false => quote!(::core::clone::Clone::clone(&__ctx)),
                });
            }
        }
    }
    let ctx_pat = if uses_context {
        quote!(__ctx)
    } else {
        quote!(_)
    };
    // A synchronous function may block: it runs on the blocking pool.
    let call = match item.sig.asyncness {
        Some(_) => quote_spanned!(ident.span()=> #ident(#(#call_args),*).await),
        None => quote_spanned!(ident.span()=>
            {
                // With no parameters the closure is the function itself: not the user's to fix.
                #[allow(clippy::redundant_closure)]
                let __run = move || #ident(#(#call_args),*);
                #rt::__private::blocking(__run).await
            }
        ),
    };
    // Spanned on the return type: an output that is not `Serialize` is reported there.
    let output_span = match &item.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => ident.span(),
    };
    let at_output = respanned(rt, output_span);
    let output = quote_spanned!(output_span=> #at_output::__private::tool_output!(#call));
    let handler = quote! {
        |__args: #args, #ctx_pat: #rt::ToolContext| async move {
            let #args { #(#bindings),* } = __args;
            #(#states)*
            #output
        }
    };
    let tool_doc = format!(
        " The tool `{}`, generated by `#[tool]` from the function.",
        meta.name
    );
    let type_doc = format!(
        " Gives the tool `{}` built by `#[tool]` from the function `{ident}`: `{ident}::tool()`.",
        meta.name
    );
    let args_struct = quote! {
        #[derive(#rt::__private::serde::Deserialize, #rt::__private::schemars::JsonSchema)]
        #[serde(crate = #serde_crate)]
        #[schemars(crate = #schemars_crate, rename = #title)]
        struct #args {
            #(#fields,)*
        }
    };
    let requires = quote!(#(#requires)*);
    let tool_items = meta.tool_items(rt, &tool_doc, args_struct, requires, handler);
    let cfgs = &meta.cfgs;

    quote! {
        #item

        #(#cfgs)*
        #[doc = #type_doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}

        #tool_items
    }
}

/// Reports what a tool function cannot be: generic, `unsafe`, variadic.
fn check_signature(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    errors.no_generics(
        &sig.generics,
        "#[tool] functions",
        Some("the tool's input schema is generated from concrete parameter types"),
    );
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety,
            "#[tool] functions cannot be `unsafe`: a model or an HTTP client calls them",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "#[tool] functions cannot be variadic");
    }
}
