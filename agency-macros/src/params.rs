//! A tool function's parameters: the inputs that become properties of the tool's schema, and the
//! optional `ToolContext`.

use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::{Attribute, FnArg, Ident, Pat, Signature, Type};

use crate::docs;
use crate::errors::Errors;

/// One parameter of a tool function.
pub(crate) enum Param {
    /// A property of the tool's input.
    Input {
        /// The name it is bound to (as written, raw identifiers included).
        ident: Ident,
        /// Its doc comment and `#[serde]`/`#[schemars]` attributes, moved off the function.
        attrs: Vec<Attribute>,
        /// Its type.
        ty: Box<Type>,
    },
    /// `State<T>`: a shared value the tool requires, taken from the context.
    State {
        /// The parameter's type, as written (`State<T>`, `agency::State<T>`...).
        ty: Box<Type>,
    },
    /// `&ToolContext` (`by_ref`) or `ToolContext`.
    Context {
        /// Whether the function takes it by reference.
        by_ref: bool,
    },
}

/// Reads the parameters of `sig`, moving the attributes that belong on the input's fields off
/// the function (rustc rejects doc comments on parameters), and reports the ones a tool cannot
/// have.
pub(crate) fn take(sig: &mut Signature, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    let mut seen: Vec<Ident> = Vec::new();
    let mut has_context = false;
    for arg in &mut sig.inputs {
        let typed = match arg {
            FnArg::Receiver(receiver) => {
                errors.at(
                    &*receiver,
                    "#[tool] makes tools from free functions, and this one takes `self`; \
                     to make a tool from a type, put #[tool] on a struct (its fields are the inputs) \
                     and give it a `fn run(self)` method",
                );
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        let (field_attrs, fn_attrs): (Vec<Attribute>, Vec<Attribute>) =
            std::mem::take(&mut typed.attrs)
                .into_iter()
                .partition(docs::is_field_attr);
        typed.attrs = fn_attrs;
        match context_kind(&typed.ty) {
            Some(Ok(by_ref)) => {
                if has_context {
                    errors.at(
                        &typed.ty,
                        "a tool function takes the `ToolContext` at most once",
                    );
                }
                has_context = true;
                params.push(Param::Context { by_ref });
                continue;
            }
            Some(Err(message)) => {
                errors.at(&typed.ty, message);
                continue;
            }
            None => {}
        }
        match state_kind(&typed.ty) {
            Some(Ok(())) => {
                params.push(Param::State {
                    ty: typed.ty.clone(),
                });
                continue;
            }
            Some(Err(message)) => {
                errors.at(&typed.ty, message);
                continue;
            }
            None => {}
        }
        let ident = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
            other => {
                errors.at(
                    other,
                    "a tool parameter needs a plain name (`name: Type`): the name is the property's \
                     name in the tool's input",
                );
                continue;
            }
        };
        if let Some(first) = seen.iter().find(|s| s.unraw() == ident.unraw()) {
            errors.at(
                &ident,
                format!(
                    "two parameters are named `{}`; each parameter is a property of the tool's input, \
                     so names must be unique",
                    first.unraw()
                ),
            );
            // The function is still emitted (so its uses resolve); without the duplicate binding
            // rustc does not report the same mistake a second time.
            *typed.pat = syn::parse_quote!(_);
            continue;
        }
        seen.push(ident.clone());
        check_input_type(&typed.ty, errors);
        params.push(Param::Input {
            ident,
            attrs: field_attrs,
            ty: typed.ty.clone(),
        });
    }
    params
}

/// `Some(Ok(by_ref))` for a `&ToolContext` / `ToolContext` parameter, `Some(Err(why))` for
/// another way of taking it, `None` for an input.
fn context_kind(ty: &Type) -> Option<Result<bool, &'static str>> {
    match ty {
        Type::Group(group) => context_kind(&group.elem),
        Type::Paren(paren) => context_kind(&paren.elem),
        Type::Reference(reference) if is_tool_context(&reference.elem) => {
            Some(match reference.mutability {
                Some(_) => {
                    Err("take the context as `&ToolContext`; it is shared, so it cannot be `&mut`")
                }
                None => Ok(true),
            })
        }
        _ if is_tool_context(ty) => Some(Ok(false)),
        _ => None,
    }
}

/// `Some(Ok(()))` for a `State<T>` parameter, `Some(Err(why))` for a reference to one, `None`
/// for anything else.
fn state_kind(ty: &Type) -> Option<Result<(), &'static str>> {
    match ty {
        Type::Group(group) => state_kind(&group.elem),
        Type::Paren(paren) => state_kind(&paren.elem),
        Type::Reference(reference) => state_kind(&reference.elem).map(|_| {
            Err("take shared state by value, as `State<T>`: it is a cheap handle (an `Arc`) to the value")
        }),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().and_then(|s| {
            let generic = matches!(&s.arguments, syn::PathArguments::AngleBracketed(a) if a.args.len() == 1);
            (s.ident == "State" && generic).then_some(Ok(()))
        }),
        _ => None,
    }
}

/// Whether `ty` is a path ending in `ToolContext`.
fn is_tool_context(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_tool_context(&group.elem),
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "ToolContext" && s.arguments.is_none()),
        _ => false,
    }
}

/// Reports input types a tool's input struct cannot hold.
fn check_input_type(ty: &Type, errors: &mut Errors) {
    let mut finder = FindImplTrait(None);
    finder.visit_type(ty);
    if let Some(impl_trait) = finder.0 {
        errors.at(
            impl_trait,
            "#[tool] functions cannot be generic, and an `impl Trait` parameter makes this one generic; \
             use a concrete type (the tool's schema is generated from it)",
        );
    } else if let Type::Reference(reference) = ty {
        errors.at(
            reference,
            "a tool parameter must own its value (it is deserialized from the call's JSON): \
             use `String` instead of `&str`, `Vec<T>` instead of `&[T]`, `T` instead of `&T`",
        );
    }
}

/// The first `impl Trait` in a type.
struct FindImplTrait<'a>(Option<&'a syn::TypeImplTrait>);

impl<'a> Visit<'a> for FindImplTrait<'a> {
    fn visit_type_impl_trait(&mut self, node: &'a syn::TypeImplTrait) {
        self.0.get_or_insert(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    fn parse(mut sig: Signature) -> (Vec<Param>, Signature, bool) {
        let mut errors = Errors::default();
        let params = take(&mut sig, &mut errors);
        (params, sig, errors.is_empty())
    }

    #[test]
    fn moves_docs_to_inputs_and_finds_the_context() {
        let (params, sig, ok) = parse(parse_quote! {
            fn f(/// A
                 #[serde(default)] a: i64, ctx: &agency::ToolContext, #[allow(unused)] mut b: self::B)
        });
        assert!(ok);
        assert_eq!(
            sig.to_token_stream().to_string(),
            "fn f (a : i64 , ctx : & agency :: ToolContext , # [allow (unused)] mut b : self :: B)"
        );
        assert_eq!(params.len(), 3);
        let Param::Input { ident, attrs, .. } = &params[0] else {
            panic!()
        };
        assert_eq!((ident.to_string(), attrs.len()), ("a".into(), 2));
        assert!(matches!(params[1], Param::Context { by_ref: true }));
        let Param::Input { ty, .. } = &params[2] else {
            panic!()
        };
        assert_eq!(ty.to_token_stream().to_string(), "self :: B");
        let (params, _, ok) = parse(parse_quote!(fn f(repo: agency::State<Repo>, a: i64)));
        assert!(ok);
        assert!(matches!(params[0], Param::State { .. }));
    }

    #[test]
    fn refuses_what_a_tool_cannot_take() {
        for sig in [
            parse_quote!(fn f(&self)),
            parse_quote!(fn f((a, b): (i64, i64))),
            parse_quote!(fn f(a: i64, a: i64)),
            parse_quote!(fn f(a: impl Into<String>)),
            parse_quote!(fn f(a: Vec<impl Into<String>>)),
            parse_quote!(fn f(a: &str)),
            parse_quote!(fn f(c: &mut ToolContext)),
            parse_quote!(fn f(c: &ToolContext, d: ToolContext)),
            parse_quote!(fn f(repo: &State<Repo>)),
        ] {
            let (_, sig, ok) = parse(sig);
            assert!(!ok, "{}", sig.to_token_stream());
        }
    }
}
