//! Doc comments: the tool's description, and the parameter docs that become property
//! descriptions.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The description written in `attrs`' doc comments, as a `&'static str` expression, or `None`
/// when there is none.
///
/// Literal docs (`///`, `/** */`, `#[doc = "..."]`) are dedented, trimmed and joined with
/// newlines; a computed doc (`#[doc = include_str!("...")]`) is kept as an expression and
/// `concat!`-ed with the rest.
pub(crate) fn description(attrs: &[Attribute]) -> Option<TokenStream> {
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    for attr in attrs {
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => pieces.push(Piece::Text(s.value())),
            other => pieces.push(Piece::Expr(other)),
        }
    }
    if pieces.is_empty() {
        return None;
    }
    if pieces.iter().all(|p| matches!(p, Piece::Text(_))) {
        let lines: Vec<String> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Text(t) => Some(t.clone()),
                Piece::Expr(_) => None,
            })
            .collect();
        let text = clean(&lines.join("\n"));
        return (!text.is_empty()).then(|| quote!(#text));
    }
    let parts = pieces.iter().map(|p| match p {
        Piece::Text(t) => {
            let t = t.strip_prefix(' ').unwrap_or(t).trim_end();
            quote!(#t)
        }
        Piece::Expr(e) => quote!(#e),
    });
    let mut joined = Vec::new();
    for (i, part) in parts.enumerate() {
        if i > 0 {
            joined.push(quote!("\n"));
        }
        joined.push(part);
    }
    Some(quote!(::core::concat!(#(#joined),*)))
}

enum Piece<'a> {
    Text(String),
    Expr(&'a Expr),
}

/// Removes the indentation common to every non-blank line, trailing spaces, and blank lines at
/// both ends.
fn clean(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

/// Whether `attr` belongs on the generated input field rather than on the function parameter:
/// doc comments, and `#[serde(...)]` / `#[schemars(...)]`.
pub(crate) fn is_field_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    path.is_ident("doc") || path.is_ident("serde") || path.is_ident("schemars")
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn desc(item: syn::ItemFn) -> Option<String> {
        description(&item.attrs).map(|t| t.to_string())
    }

    #[test]
    fn joins_line_comments_without_their_leading_space() {
        let f: syn::ItemFn = parse_quote! {
            /// Add two integers.
            ///
            ///   Indented stays indented.
            fn f() {}
        };
        assert_eq!(
            desc(f).as_deref(),
            Some("\"Add two integers.\\n\\n  Indented stays indented.\"")
        );
    }

    #[test]
    fn dedents_block_comments_and_trims_blank_ends() {
        assert_eq!(clean("\n    One.\n      Two.\n  \n"), "One.\n  Two.");
    }

    #[test]
    fn no_doc_is_none_and_computed_docs_are_concatenated() {
        assert_eq!(
            desc(parse_quote!(
                fn f() {}
            )),
            None
        );
        let f: syn::ItemFn = parse_quote! {
            /// Intro.
            #[doc = include_str!("x.md")]
            fn f() {}
        };
        let d = desc(f).unwrap();
        assert!(d.starts_with(":: core :: concat !"), "{d}");
        assert!(d.contains("include_str !"), "{d}");
    }
}
