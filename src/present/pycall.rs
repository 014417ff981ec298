//! Reads one Python constructor call as people paste it from a training script —
//! `monai.losses.DiceLoss(include_background=False, smooth_nr=1e-5)` — into its dotted
//! name and its positional and keyword arguments. Only literals are read (True/False,
//! None, numbers, strings in either quote, tuples, lists, dicts, names such as
//! `softmax_helper_dim1` and nested calls such as `dict(...)`); nothing is evaluated.
//! What it cannot read is an error in words with the character where it stopped.

/// A literal argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    None,
    /// A number; `int` when written without a point or an exponent.
    Number {
        value: f64,
        int: bool,
    },
    Str(String),
    /// A (dotted) name such as `torch.sigmoid`.
    Name(String),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    /// Keys are literals too (strings in practice).
    Dict(Vec<(Value, Value)>),
    Call(Box<Call>),
}

impl Value {
    /// How the value reads in a sentence: its kind and, when short, itself.
    pub fn describe(&self) -> String {
        match self {
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::None => "None".to_string(),
            Value::Number { value, .. } => format!("the number {value}"),
            Value::Str(s) => format!("the string \"{}\"", clip(s)),
            Value::Name(n) => format!("the name {}", clip(n)),
            Value::Tuple(_) => "a tuple".to_string(),
            Value::List(_) => "a list".to_string(),
            Value::Dict(_) => "a dict".to_string(),
            Value::Call(c) => format!("a call of {}", clip(&c.name)),
        }
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A call: `name(args…, key=value…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The dotted name as written, e.g. `monai.losses.DiceLoss`.
    pub name: String,
    pub args: Vec<Value>,
    pub kwargs: Vec<(String, Value)>,
}

impl Call {
    /// The last part of the name: `DiceLoss` for `monai.losses.DiceLoss`.
    pub fn short_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }
}

/// The longest text read: a loss call is a few lines; a pasted file is not one.
pub const MAX_CHARS: usize = 4000;
/// The deepest nesting of brackets read.
const MAX_DEPTH: usize = 16;

/// Reads `text` as one call, optionally after `name =` (an assignment) and with `#`
/// comments anywhere a space may be.
pub fn parse_call(text: &str) -> Result<Call, String> {
    let count = text.chars().count();
    if count > MAX_CHARS {
        return Err(format!(
            "The text is {count} characters long; paste one loss call (at most {MAX_CHARS} characters)."
        ));
    }
    let mut p = Parser {
        chars: text.chars().collect(),
        at: 0,
        depth: 0,
    };
    p.skip_space();
    if p.at == p.chars.len() {
        return Err("Paste a loss call, e.g. monai.losses.DiceLoss(batch=True).".into());
    }
    let name = p.dotted_name()?;
    p.skip_space();
    // `loss = DiceLoss(...)`: the assignment's target is not part of the loss.
    let name = if p.peek() == Some('=') && p.chars.get(p.at + 1) != Some(&'=') {
        p.at += 1;
        p.skip_space();
        p.dotted_name()?
    } else {
        name
    };
    p.skip_space();
    if p.peek() != Some('(') {
        return Err(p.error(&format!("expected “(” after {name}")));
    }
    let call = p.call_after_name(name)?;
    p.skip_space();
    if p.at < p.chars.len() {
        return Err(p.error("unexpected text after the call's closing parenthesis"));
    }
    Ok(call)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Character positions are counted from 1, as an editor does.
    fn error(&self, what: &str) -> String {
        match self.peek() {
            Some(c) => format!(
                "Cannot read the call: {what} (at character {}, “{c}”).",
                self.at + 1
            ),
            None => format!("Cannot read the call: {what} (the text ended)."),
        }
    }

    /// Spaces, newlines, a line continuation and `#` comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || c == '\\' {
                self.at += 1;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.at;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return None;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.at += 1;
        }
        Some(self.chars[start..self.at].iter().collect())
    }

    fn dotted_name(&mut self) -> Result<String, String> {
        let mut name = self.ident().ok_or_else(|| self.error("expected a name"))?;
        loop {
            let save = self.at;
            self.skip_space();
            if self.peek() == Some('.') {
                self.at += 1;
                self.skip_space();
                let part = self
                    .ident()
                    .ok_or_else(|| self.error("expected a name after “.”"))?;
                name.push('.');
                name.push_str(&part);
            } else {
                self.at = save;
                return Ok(name);
            }
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("brackets nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    /// The arguments of a call whose name was read; at its “(”.
    fn call_after_name(&mut self, name: String) -> Result<Call, String> {
        self.enter()?;
        self.at += 1;
        let mut call = Call {
            name,
            args: Vec::new(),
            kwargs: Vec::new(),
        };
        loop {
            self.skip_space();
            match self.peek() {
                Some(')') => break,
                None => return Err(self.error(&format!("“(” of {} is never closed", call.name))),
                _ => {}
            }
            self.argument(&mut call)?;
            self.skip_space();
            match self.peek() {
                Some(',') => self.at += 1,
                Some(')') => break,
                None => return Err(self.error(&format!("“(” of {} is never closed", call.name))),
                _ => return Err(self.error("expected “,” or “)” after an argument")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(call)
    }

    /// `key=value` or a positional value, added to `call`.
    fn argument(&mut self, call: &mut Call) -> Result<(), String> {
        let save = self.at;
        if let Some(key) = self.ident() {
            self.skip_space();
            if self.peek() == Some('=') && self.chars.get(self.at + 1) != Some(&'=') {
                self.at += 1;
                if call.kwargs.iter().any(|(k, _)| *k == key) {
                    return Err(format!(
                        "Cannot read the call: the keyword argument {key} is given twice."
                    ));
                }
                let v = self.value()?;
                call.kwargs.push((key, v));
                return Ok(());
            }
        }
        self.at = save;
        if !call.kwargs.is_empty() {
            return Err(self.error("a positional argument follows a keyword argument"));
        }
        let v = self.value()?;
        call.args.push(v);
        Ok(())
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        match self.peek() {
            Some('"' | '\'') => self.string().map(Value::Str),
            Some('(') => self.sequence(')').map(|(items, tuple)| {
                // `(x)` is x; `(x,)` and `()` are tuples.
                if !tuple && items.len() == 1 {
                    items.into_iter().next().unwrap_or(Value::None)
                } else {
                    Value::Tuple(items)
                }
            }),
            Some('[') => self.sequence(']').map(|(items, _)| Value::List(items)),
            Some('{') => self.dict(),
            Some(c) if c.is_ascii_digit() || c == '.' || c == '-' || c == '+' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.named(),
            _ => Err(self.error("expected a value")),
        }
    }

    /// True, False, None, a name, or a call.
    fn named(&mut self) -> Result<Value, String> {
        let name = self.dotted_name()?;
        let save = self.at;
        self.skip_space();
        if self.peek() == Some('(') {
            return self.call_after_name(name).map(|c| Value::Call(Box::new(c)));
        }
        self.at = save;
        Ok(match name.as_str() {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::None,
            _ => Value::Name(name),
        })
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        let mut negative = false;
        while let Some(c @ ('-' | '+')) = self.peek() {
            negative ^= c == '-';
            self.at += 1;
            self.skip_space();
        }
        let digits = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            || (matches!(self.peek(), Some('-' | '+'))
                && matches!(
                    self.at.checked_sub(1).and_then(|i| self.chars.get(i)),
                    Some('e' | 'E')
                ))
        {
            self.at += 1;
        }
        let text: String = self.chars[digits..self.at]
            .iter()
            .filter(|&&c| c != '_')
            .collect();
        let int = !text.contains(['.', 'e', 'E']);
        let bad = || {
            format!(
                "Cannot read the call: “{}” is not a number (at character {}).",
                clip(&self.chars[start..self.at].iter().collect::<String>()),
                start + 1
            )
        };
        let value: f64 = match text.as_str() {
            "inf" => f64::INFINITY,
            _ if text.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {
                text.parse().map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        Ok(Value::Number {
            value: if negative { -value } else { value },
            int,
        })
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or('"');
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => {
                    self.at = start;
                    return Err(self.error("a string is never closed"));
                }
                Some('\\') => {
                    self.at += 1;
                    if let Some(c) = self.peek() {
                        out.push(c);
                        self.at += 1;
                    }
                }
                Some(c) if c == quote => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// Items up to `close`; also whether a comma was seen (a tuple).
    fn sequence(&mut self, close: char) -> Result<(Vec<Value>, bool), String> {
        self.enter()?;
        self.at += 1;
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_space();
            match self.peek() {
                Some(c) if c == close => break,
                None => return Err(self.error(&format!("a bracket is never closed by “{close}”"))),
                _ => {}
            }
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(',') => {
                    comma = true;
                    self.at += 1;
                }
                Some(c) if c == close => break,
                None => return Err(self.error(&format!("a bracket is never closed by “{close}”"))),
                _ => return Err(self.error(&format!("expected “,” or “{close}”"))),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok((items, comma))
    }

    fn dict(&mut self) -> Result<Value, String> {
        self.enter()?;
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some('}') => break,
                None => return Err(self.error("“{” is never closed")),
                _ => {}
            }
            let key = self.value()?;
            self.skip_space();
            if self.peek() != Some(':') {
                return Err(self.error("expected “:” after a dict key"));
            }
            self.at += 1;
            let value = self.value()?;
            items.push((key, value));
            self.skip_space();
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') => break,
                None => return Err(self.error("“{” is never closed")),
                _ => return Err(self.error("expected “,” or “}”")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(Value::Dict(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64) -> Value {
        Value::Number {
            value: v,
            int: false,
        }
    }

    #[test]
    fn reads_keywords_positionals_and_python_literals() {
        let c = parse_call(
            "monai.losses.DiceLoss(False, sigmoid=True, smooth_nr=1e-5, smooth_dr=.5, \
             reduction='mean', batch = True, weight=None, x=-2, y=1_000)",
        )
        .unwrap();
        assert_eq!(c.name, "monai.losses.DiceLoss");
        assert_eq!(c.short_name(), "DiceLoss");
        assert_eq!(c.args, vec![Value::Bool(false)]);
        let kw: Vec<(&str, &Value)> = c.kwargs.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(kw[0], ("sigmoid", &Value::Bool(true)));
        assert_eq!(kw[1], ("smooth_nr", &num(1e-5)));
        assert_eq!(kw[2], ("smooth_dr", &num(0.5)));
        assert_eq!(kw[3], ("reduction", &Value::Str("mean".into())));
        assert_eq!(kw[4], ("batch", &Value::Bool(true)));
        assert_eq!(kw[5], ("weight", &Value::None));
        assert_eq!(
            kw[6].1,
            &Value::Number {
                value: -2.0,
                int: true
            }
        );
        assert_eq!(
            kw[7].1,
            &Value::Number {
                value: 1000.0,
                int: true
            }
        );
    }

    #[test]
    fn reads_dicts_tuples_names_nested_calls_comments_and_assignments() {
        let c = parse_call(
            "loss = DC_and_CE_loss({'batch_dice': True, \"smooth\": 1e-5, 'do_bg': False},  # dice\n\
             \t{}, weight_ce=1, dice_class=MemoryEfficientSoftDiceLoss,\n\
             axis=(1, 2), t=(3,), l=[1, 2], n=dict(a=1), s=(4))  # trailing",
        )
        .unwrap();
        assert_eq!(c.name, "DC_and_CE_loss");
        assert_eq!(
            c.args[0],
            Value::Dict(vec![
                (Value::Str("batch_dice".into()), Value::Bool(true)),
                (Value::Str("smooth".into()), num(1e-5)),
                (Value::Str("do_bg".into()), Value::Bool(false)),
            ])
        );
        assert_eq!(c.args[1], Value::Dict(vec![]));
        let get = |k: &str| &c.kwargs.iter().find(|(n, _)| n == k).unwrap().1;
        assert_eq!(
            get("dice_class"),
            &Value::Name("MemoryEfficientSoftDiceLoss".into())
        );
        let int = |v: f64| Value::Number {
            value: v,
            int: true,
        };
        assert_eq!(get("axis"), &Value::Tuple(vec![int(1.0), int(2.0)]));
        assert_eq!(get("t"), &Value::Tuple(vec![int(3.0)]));
        assert_eq!(get("s"), &int(4.0));
        assert_eq!(get("l"), &Value::List(vec![int(1.0), int(2.0)]));
        match get("n") {
            Value::Call(inner) => assert_eq!(inner.name, "dict"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_text_is_an_error_in_words_never_a_panic() {
        for (text, says) in [
            ("", "Paste a loss call"),
            ("   # only a comment", "Paste a loss call"),
            ("DiceLoss(batch=True", "never closed"),
            (
                "DiceLoss(batch=True))",
                "after the call's closing parenthesis",
            ),
            ("DiceLoss batch=True", "expected “(”"),
            ("DiceLoss(batch=True, batch=False)", "given twice"),
            ("DiceLoss(batch=True, False)", "positional argument follows"),
            ("DiceLoss(smooth_nr=1e-5e3)", "is not a number"),
            ("DiceLoss(smooth_nr=-)", "is not a number"),
            ("DiceLoss(reduction='mean)", "never closed"),
            ("DiceLoss(a={'x' 1})", "expected “:”"),
            ("DiceLoss(a=[1, 2)", "expected “,” or “]”"),
            ("DiceLoss(a=@)", "expected a value"),
            ("DiceLoss(a=1 b=2)", "expected “,” or “)”"),
            ("3(a=1)", "expected a name"),
            ("monai..DiceLoss()", "expected a name after “.”"),
        ] {
            let e = parse_call(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
        let deep = format!("DiceLoss(a={}1{})", "[".repeat(40), "]".repeat(40));
        assert!(parse_call(&deep).unwrap_err().contains("nested"));
        let huge = format!("DiceLoss({})", "1, ".repeat(5000));
        assert!(parse_call(&huge).unwrap_err().contains("at most 4000"));
        // Unbalanced in every way, and arbitrary bytes: errors, not panics.
        for text in [
            "(((",
            ")))",
            "D(((((",
            "D(]",
            "D(\"",
            "D('\\",
            "D(1e",
            "D(-",
            "é(ü=ß)",
            "D(a=.)",
        ] {
            let _ = parse_call(text);
        }
    }
}
