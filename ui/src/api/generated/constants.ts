// Generated from the Rust sources by src-tauri/src/bindings.rs (scripts/gen-types.sh). Do not edit.
import type { ActionStatus } from './ActionStatus';
import type { FieldKind } from './FieldKind';
import type { Outcome } from './Outcome';
import type { FailureBucket } from './FailureBucket';

/** Every run outcome, in display order. */
export const OUTCOMES: readonly Outcome[] = ['success', 'fail', 'escalated', 'denied', 'pending', 'budget_stopped'];

/** Every action status, in display order. */
export const ACTION_STATUSES: readonly ActionStatus[] = ['pending', 'approved', 'denied', 'expired', 'executed', 'rolled_back', 'failed', 'draft'];

/** Every failure-review bucket, in display order. */
export const FAILURE_BUCKETS: readonly FailureBucket[] = ['stale_retrieval', 'permission_boundary', 'connector_outage', 'bad_threshold', 'loose_policy', 'model_error', 'other'];

/** What a value of each review-field kind looks like (`FieldKind::hint`). */
export const FIELD_KIND_HINTS: Readonly<Record<FieldKind, string>> = {
  money: 'exact amount, plain decimal with a point',
  currency: '3 capital letters',
  region: '2 capital letters',
  identifier: 'identifier: printable ASCII, no spaces',
  text: 'text',
  bool: 'true or false',
};

/** Run counts stop at this many rows; beyond it `total_capped` is true. */
export const RUN_COUNT_CAP = 1000;

/** Kinds of audit events, in display order. */
export const AUDIT_KINDS = ['decision', 'decision_delivery', 'rollback', 'budget_change', 'backend_added', 'backend_config', 'backend_removed', 'export', 'sync_failure', 'quarantine', 'trusted_key_added', 'trusted_key_removed', 'backend_edited', 'price_table_changed', 'identity_keys_changed', 'failure_bucket_set', 'citation_opened', 'second_review', 'readiness_thresholds_changed', 'autonomy_changed', 'golden_set_changed', 'golden_thresholds_changed', 'golden_eval_failed', 'failure_rules_changed'] as const;

/** The metadata keys naming a run's user, tenant and session unless a source sets its own (`IdentityKeys::default`). */
export const DEFAULT_IDENTITY_KEYS = { user_keys: ['user_id'], tenant_keys: ['tenant_id', 'tenant'], session_keys: ['session_id', 'conversation_id', 'thread_id'] } as const;

/** The backend-config key holding a source's identity keys. */
export const IDENTITY_CONFIG_KEY = 'identity';

/** Every warning code the review rules give (`review::WARNING_CODES`). */
export const WARNING_CODES = ['hidden_characters', 'confusable', 'mixed_script', 'kind_guessed', 'invalid_value', 'locale_ambiguous_amount', 'non_ascii_digits', 'signed_amount', 'digit_group_separator', 'leading_zeros', 'bare_decimal_point', 'currency_in_amount', 'outside_policy', 'unexpected_value', 'policy_unreadable', 'policy_unchecked', 'policy_currency_mismatch', 'policy_currency_unknown'] as const;

/** Event names the app emits, by the key the typed subscriptions use. */
export const EVENTS = {
  storeChanged: 'store-changed',
  syncStatus: 'sync-status',
} as const;

/** Default minimum review time; the effective one is `AppInfo.min_review_ms`. */
export const DEFAULT_MIN_REVIEW_MS = 4000;

/** Code point ranges (inclusive) that can hide or reorder text: marked wherever values are shown. */
export const INVISIBLE_OR_BIDI: readonly (readonly [number, number])[] = [[0x00AD, 0x00AD], [0x034F, 0x034F], [0x061C, 0x061C], [0x115F, 0x1160], [0x17B4, 0x17B5], [0x180B, 0x180F], [0x200B, 0x200F], [0x202A, 0x202E], [0x2060, 0x206F], [0x3164, 0x3164], [0xFE00, 0xFE0F], [0xFEFF, 0xFEFF], [0xFFA0, 0xFFA0], [0xFFF0, 0xFFF8], [0x1BCA0, 0x1BCA3], [0x1D173, 0x1D17A], [0xE0000, 0xE0FFF]];

/** Control characters a display spells out (C0 but tab/LF/CR, DEL, C1, U+2028/9). */
export const DISPLAY_CONTROLS: readonly (readonly [number, number])[] = [[0x0000, 0x0008], [0x000B, 0x000C], [0x000E, 0x001F], [0x007F, 0x009F], [0x2028, 0x2029]];

/** URL prefixes (case-insensitive) that may be opened in the system browser. */
export const OPENABLE_URL_SCHEMES: readonly string[] = ['http://', 'https://'];

/** Largest micro-dollar amount a person may type (a JavaScript number holds it exactly). */
export const MAX_EXACT_MICROS = 9007199254740991;

/** The Rust rule's answer for each URL (`text::is_openable_url`); the UI's tests check it agrees. */
export const OPENABLE_URL_EXAMPLES: readonly (readonly [string, boolean])[] = [['https://kb.example/doc?id=1', true], ['HTTP://kb.example', true], ['http://127.0.0.1:8080/x', true], ['javascript:alert(1)', false], ['data:text/html,<b>x</b>', false], ['file:///etc/passwd', false], ['https://', false], ['https:///etc/passwd', false], ['//kb.example', false], [' https://kb.example', false], ['https://kb.example/a b', false], ['https://kb.example/\u000A', false], ['https://kb.example/\u202Efdp.exe', false], ['https://kb.example/\u200B', false], ['https://kb.example/\u0085', false], ['ftp://kb.example', false], ['', false]];

/** The Rust rule's answer for typed dollars (`Micros::parse_dollar_input`): micros, null (empty) or an error code. */
export const DOLLAR_INPUT_EXAMPLES: readonly (readonly [string, number | null | { error: string }])[] = [['12', 12000000], ['0.5', 500000], [' .25 ', 250000], ['$1,234.000001', 1234000001], ['$ 7', 7000000], ['+3', 3000000], ['1,000', 1000000000], ['1,000,000.5', 1000000500000], ['', null], ['   ', null], ['-1', { error: 'negative' }], ['$-1', { error: 'negative' }], ['1,23', { error: 'syntax' }], ['12,345,67', { error: 'syntax' }], [',123', { error: 'syntax' }], ['1.2.3', { error: 'syntax' }], ['abc', { error: 'syntax' }], ['$', { error: 'syntax' }], ['.', { error: 'syntax' }], ['1e3', { error: 'syntax' }], ['0.0000001', { error: 'too_precise' }], ['1.5000000', 1500000], ['9007199254.740991', 9007199254740991], ['9007199255', { error: 'overflow' }], ['\uFF11\uFF12', { error: 'syntax' }]];
