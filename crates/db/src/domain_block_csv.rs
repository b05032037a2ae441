//! Server blocks in Mastodon's CSV format (`#domain,#severity,#reject_media,#reject_reports,
//! #public_comment,#obfuscate`), so that block lists move between Mastodon and Enishi.

use crate::domain_blocks::{DomainBlock, NewBlock};
use enishi_core::ValidationError;
use enishi_core::moderation::Severity;

const HEADER: [&str; 6] = [
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
];

/// The blocks as Mastodon exports them.
pub fn export(blocks: &[DomainBlock]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for b in blocks {
        // A rejected server's media is refused with it; a limited one's is not.
        let reject_media = if b.severity == Severity::Reject {
            "true"
        } else {
            "false"
        };
        w.write_record([
            b.domain.as_str(),
            b.severity.mastodon_name(),
            reject_media,
            "false",
            b.public_comment.as_deref().unwrap_or_default(),
            "false",
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What an import file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The blocks to make.
    pub blocks: Vec<NewBlock>,
    /// Rows with severity `noop` (Mastodon's "no block, only media or reports"), skipped.
    pub skipped: Vec<String>,
}

/// Reads Mastodon's export (its header with or without `#`), or a plain list of domains one
/// per line (blocked with `reject`). An error names the line and the field at fault; nothing
/// is imported from a file with an error.
pub fn parse(text: &str) -> Result<Parsed, ValidationError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<String>> = None;
    let mut out = Parsed::default();
    for (i, record) in r.records().enumerate() {
        let line = i + 1;
        let record =
            record.map_err(|e| ValidationError::new("file", format!("line {line}: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let first = record.get(0).unwrap_or_default();
        if columns.is_none() && line == 1 && first.trim_start_matches('#') == "domain" {
            columns = Some(
                record
                    .iter()
                    .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
                    .collect(),
            );
            continue;
        }
        let field = |name: &str| -> Option<&str> {
            match &columns {
                Some(cols) => cols
                    .iter()
                    .position(|c| c == name)
                    .and_then(|i| record.get(i)),
                None if name == "domain" => record.get(0),
                None => None,
            }
        };
        let domain = field("domain").unwrap_or_default();
        let severity = field("severity")
            .filter(|s| !s.is_empty())
            .unwrap_or("suspend");
        if severity.eq_ignore_ascii_case("noop") {
            out.skipped.push(domain.to_owned());
            continue;
        }
        let severity: Severity = severity.parse().map_err(|e: ValidationError| {
            ValidationError::new("severity", format!("line {line}: {}", e.message))
        })?;
        let domain = enishi_core::moderation::normalize_domain(domain)
            .map_err(|e| ValidationError::new("domain", format!("line {line}: {}", e.message)))?;
        out.blocks.push(NewBlock {
            domain,
            severity,
            private_comment: Some("imported".into()),
            public_comment: field("public_comment")
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_exports_round_trip() {
        // The header and rows as Mastodon 4.2 writes them (Admin → Federation → Export).
        let file = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                    spam.example,suspend,true,true,\"Spam, lots\",false\n\
                    loud.example,silence,false,false,,false\n\
                    pics.example,noop,true,false,,false\n";
        let p = parse(file).unwrap();
        assert_eq!(p.skipped, ["pics.example"]);
        assert_eq!(p.blocks.len(), 2);
        assert_eq!(p.blocks[0].domain, "spam.example");
        assert_eq!(p.blocks[0].severity, Severity::Reject);
        assert_eq!(p.blocks[0].public_comment.as_deref(), Some("Spam, lots"));
        assert_eq!(p.blocks[1].severity, Severity::Limit);

        let now = chrono::Utc::now();
        let blocks: Vec<DomainBlock> = p
            .blocks
            .iter()
            .map(|b| DomainBlock {
                domain: b.domain.clone(),
                severity: b.severity,
                private_comment: None,
                public_comment: b.public_comment.clone(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        let again = parse(&export(&blocks).unwrap()).unwrap();
        assert_eq!(
            again
                .blocks
                .iter()
                .map(|b| (&b.domain, b.severity, &b.public_comment))
                .collect::<Vec<_>>(),
            p.blocks
                .iter()
                .map(|b| (&b.domain, b.severity, &b.public_comment))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn plain_lists_and_errors() {
        let p = parse("a.example\n\nB.example\n").unwrap();
        assert_eq!(
            p.blocks
                .iter()
                .map(|b| b.domain.as_str())
                .collect::<Vec<_>>(),
            ["a.example", "b.example"]
        );
        assert!(p.blocks.iter().all(|b| b.severity == Severity::Reject));
        let e = parse("#domain,#severity\nok.example,suspend\nbad example,suspend\n").unwrap_err();
        assert_eq!(e.field, "domain");
        assert!(e.message.contains("line 3"), "{e}");
        let e = parse("domain,severity\nok.example,ban\n").unwrap_err();
        assert_eq!(e.field, "severity");
        assert!(e.message.contains("line 2"), "{e}");
    }
}
