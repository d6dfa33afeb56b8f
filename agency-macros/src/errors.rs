//! Collects every problem found in an item so they are reported together.

use proc_macro2::TokenStream;

/// Several compile errors, reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds a `message` pointing at `tokens` (all of them, not only the first).
    pub(crate) fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Adds a `message` at `span`.
    pub(crate) fn at_span(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Reports generic parameters on `what` (`"#[tool] functions"`), with `why` they cannot be,
    /// or else a `where` clause.
    pub(crate) fn no_generics(&mut self, generics: &syn::Generics, what: &str, why: Option<&str>) {
        if !generics.params.is_empty() {
            let why = why.map(|why| format!(": {why}")).unwrap_or_default();
            self.at(generics, format!("{what} cannot be generic{why}"));
        } else if let Some(where_clause) = &generics.where_clause {
            self.at(where_clause, format!("{what} cannot have a `where` clause"));
        }
    }

    /// Whether nothing was reported.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The `compile_error!`s, then `item` as it was written (for an item the macro does not take
    /// or cannot parse: the rest of the program still sees it).
    pub(crate) fn followed_by(&self, item: impl quote::ToTokens) -> TokenStream {
        let errors = self.to_compile_errors();
        quote::quote!(#errors #item)
    }

    /// The `compile_error!`s to emit (nothing if no error).
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}
