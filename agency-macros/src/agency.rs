//! `#[agency]` on a factory function.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Item, ItemFn, ReturnType};

use crate::crate_path::{respanned, runtime_path};
use crate::errors::Errors;
use crate::registration;

/// Keeps the function and registers it as an agency factory.
pub(crate) fn expand_attribute(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    if !attr.is_empty() {
        errors.at(
            &attr,
            "#[agency] takes no options: the agency's name is given to `Agency::builder(\"...\")`",
        );
    }
    let rt = runtime_path();
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(f)) => expand(f, &rt, errors),
        Ok(other) => {
            errors.at_span(
                crate::item_keyword_span(&other),
                "#[agency] goes on a function without parameters that returns the agency \
                 (`fn demo() -> AgencyBuilder { Agency::builder(\"demo\").entry(Assistant) }`)",
            );
            errors.followed_by(other)
        }
        Err(error) => {
            errors.push(error);
            errors.followed_by(item)
        }
    }
}

fn expand(item: ItemFn, rt: &TokenStream, mut errors: Errors) -> TokenStream {
    check(&item, &mut errors);
    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        return quote!(#item #errors);
    }
    let ident = &item.sig.ident;
    let name = ident.unraw().to_string();
    let cfgs = item.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    // The conversion names the return type, so that one that is not `IntoAgency` is reported on
    // it (all of it when it can be named, its first token for an `impl Trait`).
    let convert = match &item.sig.output {
        ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
            let at_output = respanned(rt, ty.span());
            quote_spanned!(ty.span()=> <#ty as #at_output::IntoAgency>::into_agency(#ident()))
        }
        output => {
            let span = match output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => ident.span(),
            };
            let at_output = respanned(rt, span);
            quote_spanned! {span=>
                let __agency_factory_output = #ident();
                #at_output::IntoAgency::into_agency(__agency_factory_output)
            }
        }
    };

    let registration = registration::submit(
        rt,
        "AgencyRegistration",
        &name,
        quote!(__agency_build),
        [],
        Span::call_site(),
    );
    quote! {
        #item

        #(#cfgs)*
        const _: () = {
            fn __agency_build() -> ::core::result::Result<#rt::Agency, #rt::AgencyError> {
                #convert
            }
            #registration
        };
    }
}

/// Reports what a factory cannot be: generic, `async`, `unsafe`, or taking parameters (the
/// server calls it with none, once per request).
fn check(item: &ItemFn, errors: &mut Errors) {
    let sig = &item.sig;
    errors.no_generics(
        &sig.generics,
        "#[agency] functions",
        Some("the server calls the factory as it is"),
    );
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "#[agency] functions cannot be `async`: the server calls the factory synchronously, \
             once per request; build the agency without awaiting",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(unsafety, "#[agency] functions cannot be `unsafe`");
    }
    if !sig.inputs.is_empty() {
        errors.at(
            &sig.inputs,
            "#[agency] functions take no parameters: the server calls the factory with none, once \
             per request",
        );
    } else if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "#[agency] functions take no parameters");
    }
}
