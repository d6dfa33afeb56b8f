//! What the function and struct forms share: the tool's name, description and strictness, the
//! `Tool` constructor, and the `inventory` registration.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{Attribute, Ident, LitBool};

use crate::errors::Errors;
use crate::options::Options;
use crate::{docs, names, registration};

/// A tool's name, description and strictness, from the options and the item.
pub(crate) struct ToolMeta {
    /// The tool's name (valid or already reported).
    pub name: String,
    /// Where the name was written, for errors.
    pub span: Span,
    /// The item's identifier, where errors about the generated code are reported.
    item_span: Span,
    /// The item's identifier: the type that implements `ToolItem`.
    ident: Ident,
    description: Option<TokenStream>,
    strict: Option<LitBool>,
    /// The tool's timeout, in milliseconds.
    timeout_ms: Option<u64>,
    /// The item's `#[cfg(...)]` attributes, repeated on every generated item.
    pub cfgs: Vec<Attribute>,
}

impl ToolMeta {
    /// Takes the name from `name = "..."` or `ident`, the description from `description = "..."`
    /// or the doc comment in `attrs`, and reports an invalid name.
    pub(crate) fn new(
        options: Options,
        ident: &Ident,
        attrs: &[Attribute],
        errors: &mut Errors,
    ) -> Self {
        let (name, span) = match &options.name {
            Some(lit) => (lit.value(), lit.span()),
            None => (ident.unraw().to_string(), ident.span()),
        };
        if !names::is_valid(&name) {
            errors.at_span(span, names::invalid_message(&name));
        }
        let description = match options.description {
            Some(lit) => Some(quote!(#lit)),
            None => docs::description(attrs),
        };
        ToolMeta {
            name,
            span,
            item_span: ident.span(),
            ident: ident.clone(),
            description,
            strict: options.strict,
            timeout_ms: options
                .timeout
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            cfgs: attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .cloned()
                .collect(),
        }
    }

    /// What both forms add to the item: `pub fn tool() -> Tool` (documented by `tool_doc`; after
    /// the items of `prelude`, it builds the tool once with `handler`, a closure expression, and
    /// the builder calls of `requires`, and hands out clones), the `ToolItem` impl and the
    /// `inventory` registration.
    pub(crate) fn tool_items(
        &self,
        rt: &TokenStream,
        tool_doc: &str,
        prelude: TokenStream,
        requires: TokenStream,
        handler: TokenStream,
    ) -> TokenStream {
        let ident = &self.ident;
        let cfgs = &self.cfgs;
        let body = self.tool_body(rt, requires, handler);
        let registration = self.registration(rt, quote!(#ident::tool));
        quote! {
            #(#cfgs)*
            impl #ident {
                #[doc = #tool_doc]
                pub fn tool() -> #rt::Tool {
                    #prelude

                    #body
                }
            }

            #registration
        }
    }

    /// `fn tool() -> Tool`'s body: builds the tool once (with `handler`, a closure expression) and
    /// hands out clones.
    fn tool_body(
        &self,
        rt: &TokenStream,
        requires: TokenStream,
        handler: TokenStream,
    ) -> TokenStream {
        let name = &self.name;
        let description = self.description.as_ref().map(|d| quote!(.description(#d)));
        let strict = self.strict.as_ref().map(|s| quote!(.strict(#s)));
        let timeout = self
            .timeout_ms
            .map(|ms| quote!(.timeout(::core::time::Duration::from_millis(#ms))));
        // Spanned on the item's name: the handler's bounds (a `Send` future, a fitting `run`)
        // are reported there.
        quote_spanned! {self.item_span=>
            static __AGENCY_TOOL: ::std::sync::LazyLock<#rt::Tool> = ::std::sync::LazyLock::new(|| {
                #rt::Tool::builder(#name) #description #strict #timeout #requires .handler(#handler)
            });
            ::core::clone::Clone::clone(&*__AGENCY_TOOL)
        }
    }

    /// Registers the tool with `inventory`, so `Toolbox::discover()` finds it, and implements
    /// `ToolItem` on the item, so `#[agent(tools = [...])]` takes it; `build` is the path of its
    /// `fn tool() -> Tool`.
    fn registration(&self, rt: &TokenStream, build: TokenStream) -> TokenStream {
        let cfgs = &self.cfgs;
        let ident = &self.ident;
        let submit =
            registration::submit(rt, "ToolRegistration", &self.name, &build, cfgs, self.span);
        quote_spanned! {self.span=>
            #(#cfgs)*
            impl #rt::__private::ToolItem for #ident {
                fn tool() -> #rt::Tool {
                    #build()
                }
            }

            #submit
        }
    }
}
