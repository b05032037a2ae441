//! Markers for leak hunts: a unique token in every piece of text a hunt writes, so that any
//! response body can be scanned for text its reader may not see — whatever the path, format or
//! shape — instead of only checking the objects a test expects to find there.

/// How many hex digits follow `MK`.
const DIGITS: usize = 12;

/// The marker for `bits` (the low 48 bits are used): `MK` and twelve lowercase hex digits.
/// Only letters and digits, so Markdown, HTML escaping and JSON leave it intact.
pub fn marker(bits: u64) -> String {
    format!("MK{:012x}", bits & 0xffff_ffff_ffff)
}

/// Every marker in `text`, in order of appearance (repeats included).
pub fn markers_in(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("MK") {
        let start = i + at;
        let end = start + 2 + DIGITS;
        if end <= bytes.len()
            && bytes[start + 2..end].iter().all(|&b| hex(b))
            && bytes.get(end).is_none_or(|&b| !hex(b))
        {
            out.push(&text[start..end]);
            i = end;
        } else {
            i = start + 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_in_any_surrounding() {
        let (a, b) = (marker(0xabc), marker(u64::MAX));
        let text = format!("<p>{a}</p>{{\"t\":\"x {b}\"}} MK12 MKzzzzzzzzzzzz {a}0");
        assert_eq!(markers_in(&text), vec![a.as_str(), b.as_str()]);
        assert_eq!(a, "MK000000000abc");
    }
}
