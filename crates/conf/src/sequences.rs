//! keepalived's line repetitions: `~SEQ(NAME, [START,] [STEP,] END) TEXT` (`~SEQx` for
//! hexadecimal values) and `~LST(NAME, V1, V2, ...) TEXT` read TEXT once per value, with
//! `$NAME` defined as that value (lib/parser.c `add_seq`, `add_lst`; in keepalived 2.2.7).

/// A repetition: the parameter, its values in order, and the text read for each.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// The parameter's name.
    pub name: String,
    /// Its values.
    pub values: Vec<String>,
    /// The text after the `)`, and its byte offset in the line.
    pub text: String,
    /// Byte offset of `text` in the line given.
    pub offset: usize,
}

/// At most this many values (a typo in END must not read a line billions of times).
const MAX_VALUES: i64 = 65_536;

/// The repetition a line (leading blanks allowed) starts with, if it starts with `~SEQ` or
/// `~LST`; `Err` says what is wrong with it. `expand` substitutes parameters in the numbers.
pub fn parse(line: &str, expand: impl Fn(&str) -> String) -> Option<Result<Sequence, String>> {
    let start = line.len() - line.trim_start().len();
    let rest = &line[start..];
    let (list, hex, args) = if let Some(a) = rest.strip_prefix("~SEQx") {
        (false, true, a)
    } else if let Some(a) = rest.strip_prefix("~SEQ") {
        (false, false, a)
    } else if let Some(a) = rest.strip_prefix("~LST") {
        (true, false, a)
    } else {
        return None;
    };
    let open = args.trim_start();
    let Some(inner) = open.strip_prefix('(') else {
        return Some(Err(format!("`{}` needs `(` after it", &rest[..4])));
    };
    let Some(close) = inner.find(')') else {
        return Some(Err("missing its closing `)`".into()));
    };
    let text_start = line.len() - inner[close + 1..].len();
    let inside = expand(&inner[..close]);
    let mut parts = inside.split(',').map(str::trim);
    let name = parts.next().unwrap_or("").to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(Err(format!("`{name}` is not a parameter name")));
    }
    let rest: Vec<&str> = parts.collect();
    let values = if list {
        Ok(rest.iter().map(|v| v.to_string()).collect())
    } else {
        numbers(&rest, hex)
    };
    let text = line[text_start..].trim_start();
    Some(values.map(|values| Sequence {
        name,
        values,
        offset: line.len() - text.len(),
        text: text.to_string(),
    }))
}

/// `~SEQ`'s values: `(END)` from 1 (or -1), `(START, END)`, `(START, STEP, END)`.
fn numbers(args: &[&str], hex: bool) -> Result<Vec<String>, String> {
    let n: Vec<i64> = args
        .iter()
        .map(|a| parse_int(a).ok_or_else(|| format!("`{a}` is not a number")))
        .collect::<Result<_, _>>()?;
    let (start, step, end) = match n[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => (start, step, end),
        _ => return Err("takes 1 to 3 numbers after the name".into()),
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return Err(format!("no values from {start} by {step} to {end}"));
    }
    if hex && (start < 0 || end < 0) {
        return Err("~SEQx takes positive numbers only".into());
    }
    if (end - start) / step >= MAX_VALUES {
        return Err(format!("more than {MAX_VALUES} values"));
    }
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0 && v <= end) || (step < 0 && v >= end) {
        out.push(if hex { format!("{v:x}") } else { v.to_string() });
        v += step;
    }
    Ok(out)
}

/// An integer as C's `strtol(.., 0)` reads it: decimal, `0x` hexadecimal or `0` octal.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str) -> Result<Vec<String>, String> {
        parse(line, str::to_string)
            .expect("a sequence")
            .map(|s| s.values)
    }

    #[test]
    fn keepalived_s_forms() {
        assert_eq!(values("~SEQ(N, 3) x").unwrap_or_default(), ["1", "2", "3"]);
        assert_eq!(
            values("~SEQ(N, 5, 3) x").unwrap_or_default(),
            ["5", "4", "3"]
        );
        assert_eq!(
            values("~SEQ(N, 1, 2, 6) x").unwrap_or_default(),
            ["1", "3", "5"]
        );
        assert_eq!(
            values("~SEQx(N, 9, 3, 15) x").unwrap_or_default(),
            ["9", "c", "f"]
        );
        assert_eq!(values("~LST(N, a, b) x").unwrap_or_default(), ["a", "b"]);
        assert!(values("~SEQ(N, 1, -1, 5) x").is_err());
        assert!(values("~SEQ(N 5").is_err());
        let s = parse("  ~SEQ(ID, 2)  vrrp_$ID", str::to_string)
            .and_then(Result::ok)
            .expect("a sequence");
        assert_eq!(
            (s.name.as_str(), s.text.as_str(), s.offset),
            ("ID", "vrrp_$ID", 15)
        );
        assert!(parse("vrrp_instance x", str::to_string).is_none());
    }
}
