//! The options of `#[tool(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitBool, LitStr};

/// `#[tool(name = "...", description = "...", strict = false)]`, every option optional.
#[derive(Default)]
pub(crate) struct Options {
    /// The tool's name instead of the item's identifier.
    pub name: Option<LitStr>,
    /// The tool's description instead of the doc comment.
    pub description: Option<LitStr>,
    /// Whether the tool is strict (the runtime's default, `true`, when absent).
    pub strict: Option<LitBool>,
}

const ACCEPTED: &str =
    "#[tool] accepts `name = \"...\"`, `description = \"...\"` and `strict = true|false`";

impl Options {
    /// Parses the attribute's arguments (empty for a bare `#[tool]`).
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut options = Options::default();
        syn::meta::parser(|meta| options.parse_one(&meta)).parse2(args)?;
        Ok(options)
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = match meta.path.get_ident() {
            Some(ident) => ident.to_string(),
            None => return Err(meta.error(format!("unknown option; {ACCEPTED}"))),
        };
        match key.as_str() {
            "name" => set(&mut self.name, meta, &key),
            "description" => set(&mut self.description, meta, &key),
            "strict" => set(&mut self.strict, meta, &key),
            _ => Err(meta.error(format!("unknown option `{key}`; {ACCEPTED}"))),
        }
    }
}

fn set<T: syn::parse::Parse>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    key: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("option `{key}` is given twice")));
    }
    *slot = Some(meta.value()?.parse()?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Options;
    use quote::quote;

    #[test]
    fn parses_every_option() {
        let o =
            Options::parse(quote!(name = "sum", description = "Adds.", strict = false)).unwrap();
        assert_eq!(o.name.unwrap().value(), "sum");
        assert_eq!(o.description.unwrap().value(), "Adds.");
        assert!(!o.strict.unwrap().value);
        assert!(Options::parse(quote!()).unwrap().name.is_none());
    }

    #[test]
    fn refuses_unknown_duplicate_and_mistyped_options() {
        let e = |ts| Options::parse(ts).err().unwrap().to_string();
        assert!(e(quote!(nmae = "x")).starts_with("unknown option `nmae`"));
        assert!(e(quote!(name = "a", name = "b")).contains("given twice"));
        assert!(!e(quote!(strict = "no")).is_empty());
    }
}
