//! The Lorem-ipsum words the reference recorder answered with.

/// The classic Lorem-ipsum passage, one word per entry, without punctuation.
///
/// The first 20 words are exactly the text of the reference transcripts
/// (`20_get_response_hello`); longer texts cycle through the passage.
const WORDS: [&str; 69] = [
    "Lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "Ut",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "ut",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "Duis",
    "aute",
    "irure",
    "dolor",
    "in",
    "reprehenderit",
    "in",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "dolore",
    "eu",
    "fugiat",
    "nulla",
    "pariatur",
    "Excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "in",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
];

/// The first `count` Lorem-ipsum words, cycling through the passage when more are asked for.
pub fn lorem_words(count: usize) -> Vec<&'static str> {
    WORDS.iter().copied().cycle().take(count).collect()
}

/// `count` Lorem-ipsum words joined by single spaces: what the reference
/// recorder answered (`lorem(20)` is the text of the reference transcripts).
pub fn lorem(count: usize) -> String {
    lorem_words(count).join(" ")
}

/// The delta chunks the recorder streamed for `count` words: the first word,
/// then every further word with its leading space.
pub(crate) fn lorem_chunks(count: usize) -> Vec<String> {
    lorem_words(count)
        .into_iter()
        .enumerate()
        .map(|(i, word)| {
            if i == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_words_match_the_reference_text() {
        assert_eq!(
            lorem(20),
            "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor \
             incididunt ut labore et dolore magna aliqua Ut"
        );
    }

    #[test]
    fn chunks_carry_leading_spaces_and_cycle() {
        let chunks = lorem_chunks(3);
        assert_eq!(chunks, ["Lorem", " ipsum", " dolor"]);
        assert_eq!(lorem_words(70)[69], "Lorem");
        assert_eq!(lorem(0), "");
    }
}
