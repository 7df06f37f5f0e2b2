//! Parser for the Python dict literal in a `.npy` header.
//!
//! It accepts the subset that NumPy writes: string keys, and values that are strings, `True`,
//! `False` or tuples of non-negative integers. Any other value (such as the list that describes a
//! structured dtype) is returned as [`Value::Other`] with its source text, so that the caller can
//! name it in an error.

/// A value in the header dict.
#[derive(Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// Any other value, as its source text.
    Other(String),
}

impl std::fmt::Display for Value {
    /// Formats the value as Python source.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(text) => write!(f, "'{text}'"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Tuple(dims) => {
                let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
                match parts.len() {
                    1 => write!(f, "({},)", parts[0]),
                    _ => write!(f, "({})", parts.join(", ")),
                }
            }
            Value::Other(text) => f.write_str(text),
        }
    }
}

/// Cursor over the header text.
pub(crate) struct DictParser<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> DictParser<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        DictParser { text, position: 0 }
    }

    /// Parses the whole dict, calling `entry` for each key and value in order.
    pub(crate) fn parse(
        &mut self,
        mut entry: impl FnMut(&str, Value) -> Result<(), String>,
    ) -> Result<(), String> {
        self.expect('{')?;
        loop {
            self.skip_whitespace();
            if self.eat('}') {
                break;
            }
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            entry(&key, value)?;
            self.skip_whitespace();
            if self.eat('}') {
                break;
            }
            self.expect(',')?;
        }
        self.skip_whitespace();
        if self.position != self.text.len() {
            return Err(format!(
                "unexpected text after the header dict at byte {}",
                self.position
            ));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_whitespace();
        let rest = &self.text[self.position..];
        if rest.starts_with('\'') || rest.starts_with('"') {
            return self.string().map(Value::Str);
        }
        if rest.starts_with('(') {
            return self.tuple().map(Value::Tuple);
        }
        for (word, flag) in [("True", true), ("False", false)] {
            if rest.starts_with(word) {
                self.position += word.len();
                return Ok(Value::Bool(flag));
            }
        }
        self.other().map(Value::Other)
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_whitespace();
        let quote = match self.peek() {
            Some(quote @ ('\'' | '"')) => quote,
            _ => {
                return Err(format!(
                    "expected a quoted string at byte {}",
                    self.position
                ))
            }
        };
        self.position += 1;
        let rest = &self.text[self.position..];
        let end = rest
            .find(quote)
            .ok_or_else(|| format!("unterminated string at byte {}", self.position))?;
        self.position += end + 1;
        Ok(rest[..end].to_string())
    }

    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            self.skip_whitespace();
            if self.eat(')') {
                return Ok(dims);
            }
            let rest = &self.text[self.position..];
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let dim = rest[..digits]
                .parse::<usize>()
                .map_err(|_| format!("expected a dimension at byte {}", self.position))?;
            dims.push(dim);
            self.position += digits;
            self.skip_whitespace();
            if self.eat(')') {
                return Ok(dims);
            }
            self.expect(',')?;
        }
    }

    /// Skips a value of another kind up to the next top-level `,` or `}`, tracking brackets.
    fn other(&mut self) -> Result<String, String> {
        let start = self.position;
        let mut depth = 0usize;
        let mut quote = None;
        for (offset, c) in self.text[start..].char_indices() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']') => depth = depth.saturating_sub(1),
                (None, ',' | '}') if depth == 0 => {
                    self.position = start + offset;
                    return Ok(self.text[start..self.position].trim().to_string());
                }
                (None, '}') => depth -= 1,
                _ => {}
            }
        }
        Err(format!("unterminated value at byte {start}"))
    }

    fn expect(&mut self, expected: char) -> Result<(), String> {
        self.skip_whitespace();
        if self.eat(expected) {
            Ok(())
        } else {
            Err(format!("expected '{expected}' at byte {}", self.position))
        }
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.position += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.text[self.position..];
        self.position += rest.len() - rest.trim_start().len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Result<Vec<(String, Value)>, String> {
        let mut found = Vec::new();
        DictParser::new(text).parse(|key, value| {
            found.push((key.to_string(), value));
            Ok(())
        })?;
        Ok(found)
    }

    #[test]
    fn numpy_header_parses() {
        let text = "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 3), }          \n";

        let found = entries(text).unwrap();

        assert_eq!(
            found[0],
            ("descr".to_string(), Value::Str("<f4".to_string()))
        );
        assert_eq!(found[1], ("fortran_order".to_string(), Value::Bool(false)));
        assert_eq!(found[2], ("shape".to_string(), Value::Tuple(vec![16, 3])));
    }

    #[test]
    fn tuple_forms_parse() {
        for (text, dims) in [
            ("()", vec![]),
            ("(5,)", vec![5]),
            ("(2, 3, 4)", vec![2, 3, 4]),
        ] {
            let found = entries(&format!("{{'shape': {text}}}")).unwrap();
            assert_eq!(found[0].1, Value::Tuple(dims), "{text}");
        }
    }

    #[test]
    fn structured_dtype_is_other() {
        let found = entries("{'descr': [('x', '<f4'), ('y', '<i8')], 'shape': (2,)}").unwrap();

        assert_eq!(
            found[0].1,
            Value::Other("[('x', '<f4'), ('y', '<i8')]".to_string())
        );
        assert_eq!(found[1].1, Value::Tuple(vec![2]));
    }

    #[test]
    fn malformed_headers_fail() {
        for text in [
            "",
            "{'descr' '<f4'}",
            "{'shape': (3, x)}",
            "{'descr': '<f4'",
            "{} extra",
        ] {
            assert!(entries(text).is_err(), "accepted {text:?}");
        }
    }
}
