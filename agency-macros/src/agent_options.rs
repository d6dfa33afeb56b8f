//! The options of `#[agent(...)]`.
//!
//! Unlike `#[tool]`'s, they are parsed by hand so that every bad option is reported at once: a
//! value that does not parse is reported and skipped up to the next top-level comma.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Ident, Lit, LitBool, LitStr, Path, Token, Type, bracketed};

use crate::errors::Errors;

/// `#[agent(...)]`, every option optional.
#[derive(Default)]
pub(crate) struct AgentOptions {
    /// The agent's name instead of the struct's identifier.
    pub name: Option<LitStr>,
    /// The description instead of the doc comment.
    pub description: Option<LitStr>,
    /// The system instructions, inline.
    pub instructions: Option<LitStr>,
    /// The system instructions, from a file relative to `CARGO_MANIFEST_DIR`.
    pub instructions_file: Option<LitStr>,
    /// Paths to `#[tool]` items.
    pub tools: Option<Vec<Path>>,
    /// MCP servers: URL literals or expressions of type `McpServer`.
    pub mcp: Option<Vec<syn::Expr>>,
    /// The model name.
    pub model: Option<LitStr>,
    /// Sampling temperature.
    pub temperature: Option<Number<f64>>,
    /// Nucleus sampling.
    pub top_p: Option<Number<f64>>,
    /// Maximum output tokens per model call.
    pub max_output_tokens: Option<Number<u32>>,
    /// Reasoning effort.
    pub reasoning_effort: Option<LitStr>,
    /// Whether the model may call several tools at once.
    pub parallel_tool_calls: Option<LitBool>,
    /// `auto`, `required`, `none` or a tool name.
    pub tool_choice: Option<LitStr>,
    /// Ask Chat Completions servers for usage in the stream.
    pub include_usage: Option<LitBool>,
    /// Suggested first messages.
    pub conversation_starters: Option<Vec<LitStr>>,
    /// Suggested quick replies.
    pub quick_replies: Option<Vec<LitStr>>,
    /// The type of a structured final answer.
    pub output: Option<Type>,
    /// The most model turns one run takes.
    pub max_turns: Option<Number<u32>>,
}

/// A number checked at expansion, with where it was written.
pub(crate) struct Number<T> {
    pub value: T,
    pub span: Span,
}

/// Every option, in the order the documentation gives them.
pub(crate) const OPTIONS: &[&str] = &[
    "name",
    "description",
    "instructions",
    "instructions_file",
    "tools",
    "mcp",
    "model",
    "temperature",
    "top_p",
    "max_output_tokens",
    "reasoning_effort",
    "parallel_tool_calls",
    "tool_choice",
    "include_usage",
    "conversation_starters",
    "quick_replies",
    "output",
    "max_turns",
];

/// The reasoning efforts OpenAI accepts.
const EFFORTS: &[&str] = &["none", "minimal", "low", "medium", "high", "xhigh"];

impl AgentOptions {
    /// Parses the attribute's arguments (empty for a bare `#[agent]`), reporting every problem
    /// into `errors` and keeping the options that parsed.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Self {
        let mut options = AgentOptions::default();
        let parser = |input: ParseStream<'_>| {
            options.parse_all(input, errors);
            Ok(())
        };
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        options
    }

    fn parse_all(&mut self, input: ParseStream<'_>, errors: &mut Errors) {
        while !input.is_empty() {
            if let Err(error) = self.parse_one(input, errors) {
                errors.push(error);
                skip_value(input);
            }
            if input.is_empty() {
                break;
            }
            if input.parse::<Token![,]>().is_err() {
                errors.at_span(
                    input.span(),
                    "expected `,` between #[agent] options (`name = \"...\", model = \"...\"`)",
                );
                skip_value(input);
                let _ = input.parse::<Token![,]>();
            }
        }
    }

    fn parse_one(&mut self, input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<()> {
        let key = input.call(Ident::parse_any).map_err(|_| {
            syn::Error::new(
                input.span(),
                format!("expected an option name; {}", accepted()),
            )
        })?;
        let name = key.unraw().to_string();
        if !OPTIONS.contains(&name.as_str()) {
            let hint = match closest(&name) {
                Some(near) => format!(" (did you mean `{near}`?)"),
                None => String::new(),
            };
            return Err(syn::Error::new(
                key.span(),
                format!("unknown option `{name}`{hint}; {}", accepted()),
            ));
        }
        if input.parse::<Token![=]>().is_err() {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "option `{name}` needs a value: `{name} = {}`",
                    example(&name)
                ),
            ));
        }
        let key = Key {
            ident: &key,
            name: &name,
        };
        match name.as_str() {
            "name" => key.set(&mut self.name, input, errors, string),
            "description" => key.set(&mut self.description, input, errors, string),
            "instructions" => key.set(&mut self.instructions, input, errors, string),
            "instructions_file" => key.set(&mut self.instructions_file, input, errors, string),
            "tools" => key.set(&mut self.tools, input, errors, tool_list),
            "mcp" => key.set(&mut self.mcp, input, errors, expr_list),
            "model" => key.set(&mut self.model, input, errors, string),
            "temperature" => key.set(&mut self.temperature, input, errors, |i, k| {
                float(i, k, 0.0, 2.0)
            }),
            "top_p" => key.set(&mut self.top_p, input, errors, |i, k| float(i, k, 0.0, 1.0)),
            "max_output_tokens" => key.set(&mut self.max_output_tokens, input, errors, count),
            "reasoning_effort" => key.set(&mut self.reasoning_effort, input, errors, effort),
            "parallel_tool_calls" => key.set(&mut self.parallel_tool_calls, input, errors, boolean),
            "tool_choice" => key.set(&mut self.tool_choice, input, errors, string),
            "include_usage" => key.set(&mut self.include_usage, input, errors, boolean),
            "conversation_starters" => {
                key.set(&mut self.conversation_starters, input, errors, string_list)
            }
            "quick_replies" => key.set(&mut self.quick_replies, input, errors, string_list),
            "output" => key.set(&mut self.output, input, errors, output_type),
            "max_turns" => key.set(&mut self.max_turns, input, errors, count),
            _ => Err(syn::Error::new(
                key.ident.span(),
                format!("unknown option `{name}`; {}", accepted()),
            )),
        }
    }
}

/// An option's name, for messages.
struct Key<'a> {
    ident: &'a Ident,
    name: &'a str,
}

impl Key<'_> {
    /// Parses the value with `parse` into `slot`, refusing a second occurrence.
    fn set<T>(
        &self,
        slot: &mut Option<T>,
        input: ParseStream<'_>,
        errors: &mut Errors,
        parse: impl FnOnce(ParseStream<'_>, &Key<'_>) -> syn::Result<T>,
    ) -> syn::Result<()> {
        let fork = input.fork();
        let parsed = parse(&fork, self)?;
        use syn::parse::discouraged::Speculative;
        input.advance_to(&fork);
        if slot.is_some() {
            errors.at_span(
                self.ident.span(),
                format!("option `{}` is given twice", self.name),
            );
        } else {
            *slot = Some(parsed);
        }
        Ok(())
    }

    /// "option `key` takes {what}" at `span`.
    fn error(&self, span: Span, what: &str) -> syn::Error {
        syn::Error::new(span, format!("option `{}` takes {what}", self.name))
    }

    /// The error for a value of the wrong kind, at the value's first token.
    fn wrong(&self, input: ParseStream<'_>) -> syn::Error {
        let span = first_token_span(input);
        self.error(
            span,
            &format!(
                "{}: `{} = {}`",
                kind(self.name),
                self.name,
                example(self.name)
            ),
        )
    }
}

/// What an option takes, in words.
fn kind(name: &str) -> &'static str {
    match name {
        "tools" => "a list of #[tool] functions and structs",
        "mcp" => "a list of MCP server URLs or `McpServer` values",
        "temperature" | "top_p" => "a number",
        "max_output_tokens" | "max_turns" => "a positive integer",
        "parallel_tool_calls" | "include_usage" => "`true` or `false`",
        "conversation_starters" | "quick_replies" => "a list of string literals",
        "output" => "a type that implements `JsonSchema`",
        _ => "a string literal",
    }
}

/// An example value of each option.
fn example(name: &str) -> &'static str {
    match name {
        "name" => "\"Assistant\"",
        "description" => "\"What the agent does.\"",
        "instructions" => "\"You are a helpful assistant.\"",
        "instructions_file" => "\"prompts/assistant.md\"",
        "tools" => "[add, Address]",
        "mcp" => "[\"http://127.0.0.1:8931/mcp\", files_server()]",
        "model" => "\"gpt-4o\"",
        "temperature" => "0.2",
        "top_p" => "0.9",
        "max_output_tokens" => "512",
        "reasoning_effort" => "\"low\"",
        "parallel_tool_calls" | "include_usage" => "true",
        "tool_choice" => "\"auto\"",
        "conversation_starters" => "[\"What can you do?\"]",
        "quick_replies" => "[\"Thanks!\"]",
        "output" => "Weather",
        "max_turns" => "10",
        _ => "...",
    }
}

fn accepted() -> String {
    let list: Vec<String> = OPTIONS.iter().map(|o| format!("`{o}`")).collect();
    format!("#[agent] accepts {}", list.join(", "))
}

/// The known option nearest to `name`, if it looks like a typo of it.
fn closest(name: &str) -> Option<&'static str> {
    OPTIONS
        .iter()
        .map(|o| (distance(name, o), *o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The span of the next token, or of the end of input.
fn first_token_span(input: ParseStream<'_>) -> Span {
    input
        .fork()
        .parse::<TokenTree>()
        .map_or_else(|_| input.span(), |t| t.span())
}

/// Skips the rest of a value: up to the next comma outside brackets and angle brackets.
fn skip_value(input: ParseStream<'_>) {
    let mut angles = 0usize;
    while !input.is_empty() {
        if angles == 0 && input.peek(Token![,]) {
            return;
        }
        match input.parse::<TokenTree>() {
            Ok(TokenTree::Punct(p)) if p.as_char() == '<' => angles += 1,
            Ok(TokenTree::Punct(p)) if p.as_char() == '>' => angles = angles.saturating_sub(1),
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Value parsers.

fn string(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<LitStr> {
    let lit: LitStr = input.parse().map_err(|_| key.wrong(input))?;
    if lit.value().trim().is_empty() && key.name != "description" && key.name != "instructions" {
        return Err(key.error(lit.span(), "a non-empty string"));
    }
    Ok(lit)
}

fn boolean(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<LitBool> {
    input.parse().map_err(|_| key.wrong(input))
}

fn effort(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<LitStr> {
    let lit = string(input, key)?;
    if !EFFORTS.contains(&lit.value().as_str()) {
        let list: Vec<String> = EFFORTS.iter().map(|e| format!("\"{e}\"")).collect();
        return Err(key.error(lit.span(), &format!("one of {}", list.join(", "))));
    }
    Ok(lit)
}

/// A number literal (integer or float, optionally negated) in `min..=max`.
fn float(input: ParseStream<'_>, key: &Key<'_>, min: f64, max: f64) -> syn::Result<Number<f64>> {
    let start = first_token_span(input);
    let negative = input.parse::<Option<Token![-]>>()?.is_some();
    let lit: Lit = input.parse().map_err(|_| key.wrong(input))?;
    let value: f64 = match &lit {
        Lit::Float(f) => f.base10_parse()?,
        Lit::Int(i) => i.base10_parse()?,
        _ => {
            return Err(key.error(
                start,
                &format!("a number: `{} = {}`", key.name, example(key.name)),
            ));
        }
    };
    let value = if negative { -value } else { value };
    if !(min..=max).contains(&value) {
        return Err(key.error(start, &format!("a number from {min} to {max}")));
    }
    Ok(Number {
        value,
        span: lit.span(),
    })
}

/// An integer literal from 1 to `u32::MAX`.
fn count(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<Number<u32>> {
    let start = first_token_span(input);
    if input.peek(Token![-]) {
        return Err(key.error(start, "a positive integer"));
    }
    let lit: syn::LitInt = input.parse().map_err(|_| key.wrong(input))?;
    match lit.base10_parse::<u32>() {
        Ok(0) => Err(key.error(lit.span(), "a positive integer")),
        Ok(value) => Ok(Number {
            value,
            span: lit.span(),
        }),
        Err(_) => Err(key.error(
            lit.span(),
            &format!("a positive integer up to {}", u32::MAX),
        )),
    }
}

fn output_type(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<Type> {
    if input.peek(syn::Lit) {
        return Err(key.wrong(input));
    }
    input.parse().map_err(|_| key.wrong(input))
}

/// `[a, b, ...]` parsed element by element with `element`.
fn list<T>(
    input: ParseStream<'_>,
    key: &Key<'_>,
    element: impl Fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<Vec<T>> {
    if !input.peek(syn::token::Bracket) {
        return Err(key.wrong(input));
    }
    let content;
    bracketed!(content in input);
    let mut items = Vec::new();
    while !content.is_empty() {
        items.push(element(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(items)
}

fn string_list(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<Vec<LitStr>> {
    list(input, key, |element| {
        let lit: LitStr = element.parse().map_err(|_| {
            key.error(
                first_token_span(element),
                &format!(
                    "a list of string literals: `{} = {}`",
                    key.name,
                    example(key.name)
                ),
            )
        })?;
        if lit.value().trim().is_empty() {
            return Err(key.error(lit.span(), "non-empty strings"));
        }
        Ok(lit)
    })
}

fn expr_list(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<Vec<syn::Expr>> {
    list(input, key, |element| {
        element.parse::<syn::Expr>().map_err(|_| {
            key.error(
                first_token_span(element),
                &format!("{}: `{} = {}`", kind(key.name), key.name, example(key.name)),
            )
        })
    })
}

fn tool_list(input: ParseStream<'_>, key: &Key<'_>) -> syn::Result<Vec<Path>> {
    let paths = list(input, key, |element| {
        element.call(Path::parse_mod_style).map_err(|_| {
            key.error(
                first_token_span(element),
                "a list of paths to #[tool] functions and structs: `tools = [add, Address]`",
            )
        })
    })?;
    for (i, path) in paths.iter().enumerate() {
        let text = quote::ToTokens::to_token_stream(path).to_string();
        if paths[..i]
            .iter()
            .any(|p| quote::ToTokens::to_token_stream(p).to_string() == text)
        {
            return Err(syn::Error::new(
                path.span(),
                "this tool is listed twice in `tools`",
            ));
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(ts: TokenStream) -> (AgentOptions, Vec<String>) {
        let mut errors = Errors::default();
        let options = AgentOptions::parse(ts, &mut errors);
        let messages = errors
            .to_compile_errors()
            .to_string()
            .split("compile_error !")
            .skip(1)
            .map(|s| {
                s.trim()
                    .trim_matches(|c| c == '{' || c == '}' || c == ' ')
                    .to_owned()
            })
            .collect();
        (options, messages)
    }

    #[test]
    fn parses_every_option() {
        let (o, errors) = parse(quote!(
            name = "Assistant",
            description = "Helps.",
            instructions = "Be nice.",
            tools = [add, crate::tools::Address,],
            model = "gpt-4o",
            temperature = 0.2,
            top_p = 1,
            max_output_tokens = 512,
            reasoning_effort = "low",
            parallel_tool_calls = true,
            tool_choice = "auto",
            include_usage = false,
            conversation_starters = ["Hi", "Hello"],
            quick_replies = [],
            output = Vec<String>,
            max_turns = 10,
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(o.name.unwrap().value(), "Assistant");
        assert_eq!(o.tools.unwrap().len(), 2);
        assert_eq!(o.temperature.unwrap().value, 0.2);
        assert_eq!(o.top_p.unwrap().value, 1.0);
        assert_eq!(o.max_output_tokens.unwrap().value, 512);
        assert!(!o.include_usage.unwrap().value);
        assert_eq!(o.conversation_starters.unwrap().len(), 2);
        assert!(o.quick_replies.unwrap().is_empty());
        assert!(o.output.is_some());
        assert_eq!(o.max_turns.unwrap().value, 10);
        assert!(parse(quote!()).1.is_empty());
    }

    #[test]
    fn reports_every_bad_option_at_once() {
        let (o, errors) = parse(quote!(
            nmae = "x",
            model = 4,
            temperature = 3,
            max_turns = 0,
            reasoning_effort = "hard",
            tools = [add, add],
            output = Map<String, u32>,
            model = "a",
            model = "b",
            conversation_starters = ["a", 1],
            name = "ok",
        ));
        let all = errors.join("\n");
        assert!(
            all.contains("unknown option `nmae` (did you mean `name`?)"),
            "{all}"
        );
        assert!(
            all.contains("option `model` takes a string literal"),
            "{all}"
        );
        assert!(
            all.contains("option `temperature` takes a number from 0 to 2"),
            "{all}"
        );
        assert!(
            all.contains("option `max_turns` takes a positive integer"),
            "{all}"
        );
        assert!(
            all.contains("option `reasoning_effort` takes one of"),
            "{all}"
        );
        assert!(all.contains("listed twice"), "{all}");
        assert!(all.contains("option `model` is given twice"), "{all}");
        assert!(
            all.contains("option `conversation_starters` takes a list of string"),
            "{all}"
        );
        assert_eq!(errors.len(), 8, "{all}");
        // What parsed is kept: the first `model`, the type with a comma, the name after errors.
        assert_eq!(o.model.unwrap().value(), "a");
        assert!(o.output.is_some());
        assert_eq!(o.name.unwrap().value(), "ok");
    }

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(closest("instruction"), Some("instructions"));
        assert_eq!(closest("max_tokens"), None);
        assert_eq!(closest("tool"), Some("tools"));
        assert_eq!(closest("zzz"), None);
    }
}
