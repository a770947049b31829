//! The small policy corpus the simulated organisation's agents search and cite.
//!
//! Citations are cut from these texts at generation time, so every passage is an exact
//! substring and its offsets (in chars) land on it.

use chrono::{DateTime, TimeZone, Utc};
use countersign_core::{KnowledgeSource, SourceDoc};
use std::sync::OnceLock;

/// One shipped document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub doc_id: &'static str,
    pub title: &'static str,
    pub url: &'static str,
    pub version: &'static str,
    /// (year, month, day) of the last update.
    pub updated: (i32, u32, u32),
    pub deprecated: bool,
    pub source_id: &'static str,
    pub text: &'static str,
}

impl Doc {
    pub fn updated_at(&self) -> DateTime<Utc> {
        let (y, m, d) = self.updated;
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }
}

/// A passage of a document with its char offsets and surrounding context.
#[derive(Debug, Clone)]
pub(crate) struct Passage {
    pub doc: usize,
    pub text: String,
    pub start: u32,
    pub end: u32,
    pub context: String,
    pub context_start: u32,
}

pub(crate) const DOCS: &[Doc] = &[
    Doc {
        doc_id: "kb_101",
        title: "Refund policy (EU)",
        url: "https://kb.northwind.example/policies/refunds-eu",
        version: "v3",
        updated: (2026, 9, 1),
        deprecated: false,
        source_id: "src_policy_wiki",
        text: "Scope. This policy applies to orders delivered to customers in the European Union and the European Economic Area. It replaces version 2 of the EU refund policy in full. \
Consumers may withdraw from a purchase within 14 days of delivery without giving a reason. The refund covers the price of the goods and the standard delivery cost. \
Refunds are issued to the original payment method within 14 days of receiving the withdrawal notice. Agents may issue refunds up to 250.00 EUR without a second approval. \
Any refund above 250.00 EUR requires approval by a reviewer in the finance team. Refunds for digital goods are only possible before the download has started. \
Partial refunds are allowed when the goods are returned damaged by the customer; the deduction must be documented with photos. \
Refunds must be issued in the currency of the original order. Currency conversion is never performed by the support agent.",
    },
    Doc {
        doc_id: "kb_100",
        title: "Refund policy (EU) - version 2",
        url: "https://kb.northwind.example/policies/refunds-eu-v2",
        version: "v2",
        updated: (2025, 3, 10),
        deprecated: true,
        source_id: "src_policy_wiki",
        text: "This version is deprecated and kept for reference only. \
Customers may request a refund within 30 days of delivery. Agents may issue refunds up to 500.00 EUR without a second approval. \
Refunds are issued as store credit unless the customer asks for a card refund in writing. \
Shipping costs are not refunded. Refund requests from outside the EU follow the same rules.",
    },
    Doc {
        doc_id: "kb_110",
        title: "Refund policy (US)",
        url: "https://kb.northwind.example/policies/refunds-us",
        version: "v2",
        updated: (2026, 6, 15),
        deprecated: false,
        source_id: "src_policy_wiki",
        text: "Scope. This policy applies to orders shipped to addresses in the United States. \
Customers may return most items within 30 days of delivery for a full refund of the item price. \
Return shipping is free for defective items; for other returns a flat fee of 6.95 USD is deducted. \
Agents may issue refunds up to 200.00 USD without a second approval. Larger refunds require approval by a finance reviewer. \
Refunds are issued in USD to the original payment method and usually appear within 5 to 10 business days.",
    },
    Doc {
        doc_id: "kb_201",
        title: "CRM data policy",
        url: "https://kb.northwind.example/policies/crm-data",
        version: "v4",
        updated: (2026, 8, 20),
        deprecated: false,
        source_id: "src_policy_wiki",
        text: "Purpose. The CRM is the system of record for customer accounts, contacts and company attributes. \
Automated agents may propose updates to company attributes such as industry, employee count band and billing region. \
Every automated update to the billing region or the account owner requires human review before it is written. \
Personal data of contacts must never be copied into free-text fields. Email addresses and phone numbers are redacted in agent logs. \
Enrichment from third-party sources must cite the source and the date it was retrieved. \
Updates that cannot be traced to a source are rejected.",
    },
    Doc {
        doc_id: "kb_301",
        title: "Invoice matching SOP",
        url: "https://kb.northwind.example/finance/invoice-matching",
        version: "v1.3",
        updated: (2026, 5, 5),
        deprecated: false,
        source_id: "src_ops_sharepoint",
        text: "Every supplier invoice is matched against its purchase order and the goods receipt before payment. \
A three-way match passes when quantities agree and the invoice amount is within 2 percent of the purchase order amount. \
Differences above 2 percent or above 500.00 EUR, whichever is lower, are flagged as exceptions for the accounts payable team. \
Invoices without a purchase order number are never paid automatically. \
Duplicate invoice numbers from the same supplier are blocked and reported to the controller.",
    },
    Doc {
        doc_id: "kb_302",
        title: "Escalation SOP",
        url: "https://kb.northwind.example/support/escalation",
        version: "v2",
        updated: (2026, 10, 1),
        deprecated: false,
        source_id: "src_ops_sharepoint",
        text: "Agents escalate a case to a human when their confidence is below 0.7 or when the customer mentions legal action. \
Cases that mention a data breach, a safety issue or a chargeback are escalated immediately to the tier 2 queue. \
An escalated case must carry a short summary, the customer's last message and the policy the agent relied on. \
Tier 2 answers escalations within 4 business hours. Pending approvals that are not decided within 24 hours expire and return to the queue.",
    },
    Doc {
        doc_id: "kb_401",
        title: "Pricing page (2025)",
        url: "https://www.northwind.example/pricing-2025",
        version: "2025.1",
        updated: (2025, 7, 1),
        deprecated: false,
        source_id: "src_policy_wiki",
        text: "Plans. Starter costs 9 USD per seat per month, Team costs 19 USD per seat per month and Business costs 39 USD per seat per month. \
Annual billing includes two months free. Volume discounts start at 50 seats. \
The Business plan includes priority support with a first response within 8 hours. \
Prices exclude VAT and sales tax.",
    },
    Doc {
        doc_id: "kb_150",
        title: "Support reply guide",
        url: "https://kb.northwind.example/support/reply-guide",
        version: "v5",
        updated: (2026, 7, 12),
        deprecated: false,
        source_id: "src_policy_wiki",
        text: "Replies are short, friendly and specific. Open with the customer's name and restate the problem in one sentence. \
Never promise a refund before the refund has been approved. Quote the policy in plain words instead of linking to internal pages. \
If the order number is missing, ask for it once and do not guess. \
Close with the next step and when the customer will hear from us again.",
    },
];

fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    // Byte ranges of sentences: split after ". " keeping the period.
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'.' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            let end = i + 1;
            if end > start {
                out.push((start, end));
            }
            start = end + 1;
            i = end;
        }
        i += 1;
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// Every citable passage, computed once.
pub(crate) fn passages() -> &'static [Passage] {
    static P: OnceLock<Vec<Passage>> = OnceLock::new();
    P.get_or_init(|| {
        let mut out = Vec::new();
        for (di, d) in DOCS.iter().enumerate() {
            let chars: Vec<char> = d.text.chars().collect();
            for (bs, be) in split_sentences(d.text) {
                let start = d.text[..bs].chars().count();
                let end = start + d.text[bs..be].chars().count();
                let cs = start.saturating_sub(100);
                let ce = (end + 100).min(chars.len());
                out.push(Passage {
                    doc: di,
                    text: d.text[bs..be].to_string(),
                    start: start as u32,
                    end: end as u32,
                    context: chars[cs..ce].iter().collect(),
                    context_start: cs as u32,
                });
            }
        }
        out
    })
}

/// Passages of one document.
pub(crate) fn passages_of(doc_id: &str) -> Vec<&'static Passage> {
    passages()
        .iter()
        .filter(|p| DOCS[p.doc].doc_id == doc_id)
        .collect()
}

/// The knowledge sources the backend reports.
pub(crate) fn sources() -> Vec<KnowledgeSource> {
    let docs_of = |sid: &str| {
        DOCS.iter()
            .filter(|d| d.source_id == sid)
            .map(|d| SourceDoc {
                doc_id: d.doc_id.into(),
                title: d.title.into(),
                version: d.version.into(),
                updated_at: d.updated_at(),
                deprecated: d.deprecated,
            })
            .collect()
    };
    let indexed = Utc
        .with_ymd_and_hms(2026, 11, 19, 3, 0, 0)
        .single()
        .unwrap_or_default();
    vec![
        KnowledgeSource {
            source_id: "src_policy_wiki".into(),
            name: "Policy wiki".into(),
            kind: "confluence".into(),
            access: vec!["support".into(), "finance".into(), "reviewers".into()],
            last_indexed_at: indexed,
            documents: docs_of("src_policy_wiki"),
        },
        KnowledgeSource {
            source_id: "src_ops_sharepoint".into(),
            name: "Operations SOPs".into(),
            kind: "sharepoint".into(),
            access: vec!["finance".into(), "operations".into()],
            last_indexed_at: indexed,
            documents: docs_of("src_ops_sharepoint"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_are_exact_substrings_at_their_offsets() {
        assert!(passages().len() > 30);
        for p in passages() {
            let chars: Vec<char> = DOCS[p.doc].text.chars().collect();
            let got: String = chars[p.start as usize..p.end as usize].iter().collect();
            assert_eq!(got, p.text);
            let cs = (p.start - p.context_start) as usize;
            let ce = (p.end - p.context_start) as usize;
            let in_ctx: String = p.context.chars().skip(cs).take(ce - cs).collect();
            assert_eq!(in_ctx, p.text);
        }
    }
}
