//! Compile errors of `#[tool]`: each case in `tests/ui/` must fail with the message checked in
//! next to it. Regenerate with `TRYBUILD=overwrite cargo test --test ui` and read the result.

#[test]
fn tool_macro_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
