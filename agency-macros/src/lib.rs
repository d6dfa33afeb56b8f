//! Procedural macros of agency-rs. Use them through the `agency` crate.

use proc_macro::TokenStream;

/// Turns a function or a struct into a tool. See the `agency` crate's documentation.
#[proc_macro_attribute]
pub fn tool(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
