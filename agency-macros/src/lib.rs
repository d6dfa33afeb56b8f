//! Procedural macros of agency-rs. Use them through the `agency` crate, which re-exports them;
//! this crate only parses and generates code, the runtime is `agency-core`.

use proc_macro::TokenStream;

mod crate_path;
mod docs;
mod errors;
mod names;
mod options;
mod params;
mod tool_fn;
mod tool_meta;
mod tool_struct;

/// Turns a function or a struct into a tool. See the `agency` crate's documentation.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr.into(), item.into()).into()
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    // A bad option is reported with the rest; the item is still expanded with the defaults.
    let mut errors = errors::Errors::default();
    let options = options::Options::parse(attr).unwrap_or_else(|error| {
        errors.push(error);
        options::Options::default()
    });
    let rt = crate_path::runtime_path();
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => tool_fn::expand(options, f, &rt, errors),
        Ok(syn::Item::Struct(s)) => tool_struct::expand(options, s, &rt, errors),
        Ok(other) => {
            errors.at(
                item_keyword_span(&other),
                "#[tool] goes on a function (its parameters are the tool's inputs) or on a struct \
                 with named fields (its fields are the inputs, its `run` method the code)",
            );
            let errors = errors.to_compile_errors();
            quote::quote!(#errors #other)
        }
        Err(error) => {
            errors.push(error);
            let errors = errors.to_compile_errors();
            quote::quote!(#errors #item)
        }
    }
}

/// The span of the keyword that says what `item` is (`enum`, `impl`, ...), for errors.
fn item_keyword_span(item: &syn::Item) -> proc_macro2::Span {
    use syn::spanned::Spanned;
    match item {
        syn::Item::Enum(i) => i.enum_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Trait(i) => i.trait_token.span,
        syn::Item::Union(i) => i.union_token.span,
        syn::Item::Mod(i) => i.mod_token.span,
        syn::Item::Const(i) => i.const_token.span,
        syn::Item::Static(i) => i.static_token.span,
        syn::Item::Type(i) => i.type_token.span,
        syn::Item::Use(i) => i.use_token.span,
        other => other.span(),
    }
}
