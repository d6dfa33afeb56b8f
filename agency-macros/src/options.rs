//! The options of `#[tool(...)]`.

use proc_macro2::TokenStream;
use std::time::Duration;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;

use syn::{LitBool, LitStr};

/// `#[tool(name = "...", description = "...", strict = false, timeout = "30s")]`, every option
/// optional.
#[derive(Default)]
pub(crate) struct Options {
    /// The tool's name instead of the item's identifier.
    pub name: Option<LitStr>,
    /// The tool's description instead of the doc comment.
    pub description: Option<LitStr>,
    /// Whether the tool is strict (the runtime's default, `true`, when absent).
    pub strict: Option<LitBool>,
    /// The tool's timeout, read at compile time (`"30s"`, `"1m 30s"`, `"500ms"`).
    pub timeout: Option<Duration>,
}

const ACCEPTED: &str = "#[tool] accepts `name = \"...\"`, `description = \"...\"`, `strict = true|false` and `timeout = \"30s\"`";

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
            "name" => set(
                &mut self.name,
                meta,
                &key,
                "a string literal: `name = \"my_tool\"`",
            ),
            "description" => set(
                &mut self.description,
                meta,
                &key,
                "a string literal: `description = \"What the tool does.\"`",
            ),
            "strict" => set(&mut self.strict, meta, &key, "`true` or `false`"),
            "timeout" => {
                let mut lit: Option<LitStr> = None;
                let expected = "a duration as a string literal: `timeout = \"30s\"`";
                if self.timeout.is_some() {
                    return Err(meta.error("option `timeout` is given twice"));
                }
                set(&mut lit, meta, &key, expected)?;
                let Some(lit) = lit else { return Ok(()) };
                match humantime::parse_duration(&lit.value()) {
                    Ok(d) if !d.is_zero() => {
                        self.timeout = Some(d);
                        Ok(())
                    }
                    Ok(_) => Err(syn::Error::new(
                        lit.span(),
                        "a tool timeout must be above zero",
                    )),
                    Err(e) => Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "option `timeout` takes a duration such as \"30s\", \"2m\" or \"500ms\": {e}"
                        ),
                    )),
                }
            }
            _ => Err(meta.error(format!("unknown option `{key}`; {ACCEPTED}"))),
        }
    }
}

/// Parses `= value` into `slot`, refusing a second occurrence and a value of another kind.
fn set<T: syn::parse::Parse>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    expected: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("option `{key}` is given twice")));
    }
    let value = meta.value()?;
    let lookahead = value.fork();
    match value.parse::<T>() {
        Ok(parsed) => {
            *slot = Some(parsed);
            Ok(())
        }
        Err(_) => {
            let span = lookahead
                .parse::<proc_macro2::TokenTree>()
                .map_or_else(|_| value.span(), |t| t.span());
            Err(syn::Error::new(
                span,
                format!("option `{key}` takes {expected}"),
            ))
        }
    }
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
        let t = Options::parse(quote!(timeout = "1m 30s")).unwrap();
        assert_eq!(t.timeout, Some(std::time::Duration::from_secs(90)));
    }

    #[test]
    fn refuses_unknown_duplicate_and_mistyped_options() {
        let e = |ts| Options::parse(ts).err().unwrap().to_string();
        assert!(e(quote!(nmae = "x")).starts_with("unknown option `nmae`"));
        assert!(e(quote!(name = "a", name = "b")).contains("given twice"));
        assert_eq!(
            e(quote!(strict = "no")),
            "option `strict` takes `true` or `false`"
        );
        assert!(e(quote!(name = sum)).starts_with("option `name` takes a string literal"));
        assert!(e(quote!(timeout = "soon")).starts_with("option `timeout` takes a duration"));
        assert!(e(quote!(timeout = 30)).starts_with("option `timeout` takes a duration"));
        assert_eq!(
            e(quote!(timeout = "0s")),
            "a tool timeout must be above zero"
        );
    }
}
