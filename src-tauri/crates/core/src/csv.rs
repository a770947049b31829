//! CSV for spreadsheets, safe with untrusted text (RFC 4180 quoting plus a guard against
//! formula injection): a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab
//! or carriage return first) gets a leading `'`, so `=HYPERLINK(...)` from a tool result
//! stays text.

/// One field, quoted when it holds a comma, quote or line break, formula-guarded.
pub fn field(text: &str) -> String {
    let guarded = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One line of fields, ending in CRLF.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quoting_is_rfc4180() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@cmd"), "'@cmd");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(
            field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(field(""), "");
        assert_eq!(row(&["a", "=b", "c\"d"]), "a,'=b,\"c\"\"d\"\r\n");
    }
}
