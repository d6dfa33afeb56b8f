//! Where generated code finds the runtime: the `agency` facade, whatever the user named it.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

/// The path generated code names the runtime by.
///
/// `agency` under any name (`::agency` when expanding inside the `agency` package's own tests and
/// examples); else `agency-core` (`::agency_core`); else `::agency`, which gives a clear
/// "unresolved crate" error if neither is a dependency.
pub(crate) fn runtime_path() -> TokenStream {
    match crate_name("agency") {
        Ok(FoundCrate::Itself) => quote!(::agency),
        Ok(FoundCrate::Name(name)) => absolute(&name),
        Err(_) => match crate_name("agency-core") {
            Ok(FoundCrate::Name(name)) => absolute(&name),
            Ok(FoundCrate::Itself) | Err(_) => quote!(::agency_core),
        },
    }
}

fn absolute(name: &str) -> TokenStream {
    let ident = Ident::new(name, Span::call_site());
    quote!(::#ident)
}

/// `path::__private::<krate>` as the string serde's and schemars' `crate = "..."` take.
pub(crate) fn private_crate_str(runtime: &TokenStream, krate: &str) -> String {
    // The token spacing (`:: agency :: x`) is fine: both derives parse the string as a path.
    format!("{runtime} :: __private :: {krate}")
}

/// `runtime` with every token at `span`, so that errors about generated code naming it point
/// at the user's item rather than at `#[tool]`.
pub(crate) fn respanned(runtime: &TokenStream, span: Span) -> TokenStream {
    runtime
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}
