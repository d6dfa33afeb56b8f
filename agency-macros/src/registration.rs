//! The `inventory` registration that `#[tool]`, `#[agent]` and `#[agency]` all emit.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote_spanned};

/// `inventory::submit!` of a `kind` registration (`ToolRegistration`, `AgentRegistration` or
/// `AgencyRegistration`, named through the runtime's `__private`) of `name`, built by `build`
/// (the path of a `fn() -> T`), kept under the item's `cfgs` and spanned at `span`.
pub(crate) fn submit<'a>(
    rt: &TokenStream,
    kind: &str,
    name: &str,
    build: impl ToTokens,
    cfgs: impl IntoIterator<Item = &'a syn::Attribute>,
    span: Span,
) -> TokenStream {
    let kind = Ident::new(kind, span);
    let cfgs = cfgs.into_iter();
    quote_spanned! {span=>
        #(#cfgs)*
        #rt::__private::inventory::submit! {
            #rt::__private::#kind {
                name: #name,
                location: ::core::concat!(::core::file!(), ":", ::core::line!()),
                build: #build,
            }
        }
    }
}
