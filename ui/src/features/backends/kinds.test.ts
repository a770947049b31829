import { describe, expect, it } from 'vitest';
import { confirmFieldsText, isPlainHttpOffMachine, kindLabel, newBackendInput, parseConfirmFields, withConfirmFields } from './kinds';

describe('backend kinds', () => {
  const base = { name: ' Agents ', url: ' http://127.0.0.1:8123 ', token: '', secret: '', project: '', experiment: '' };

  it('Langfuse keys travel as one PUBLIC:SECRET secret; Phoenix carries its project', () => {
    expect(newBackendInput({ ...base, kind: 'langfuse', token: 'pk-lf-1', secret: 'sk-lf-2' })).toEqual({
      kind: 'langfuse',
      name: 'Agents',
      url: 'http://127.0.0.1:8123',
      token: 'pk-lf-1:sk-lf-2',
      config: {},
    });
    expect(newBackendInput({ ...base, kind: 'phoenix', project: ' evals ' }).config).toEqual({ project: 'evals' });
    expect(newBackendInput({ ...base, kind: 'langgraph' }).token).toBe('');
    expect(kindLabel('langgraph')).toBe('LangGraph Server');
    expect(kindLabel('otel')).toBe('trace import');
  });

  it('MLflow names its experiment; a password makes USER:PASSWORD, a token alone stays a bearer token', () => {
    expect(newBackendInput({ ...base, kind: 'mlflow', experiment: ' refunds ', token: ' admin ', secret: 'pa:ss' })).toEqual({
      kind: 'mlflow',
      name: 'Agents',
      url: 'http://127.0.0.1:8123',
      token: 'admin:pa:ss',
      config: { experiment: 'refunds' },
    });
    const bearer = newBackendInput({ ...base, kind: 'mlflow', token: 'dapi-123', project: 'ignored' });
    expect(bearer.token).toBe('dapi-123');
    expect(bearer.config).toEqual({});
    expect(newBackendInput({ ...base, kind: 'phoenix', experiment: 'x' }).config).toEqual({});
    expect(kindLabel('mlflow')).toBe('MLflow tracing');
  });

  it('confirm fields round-trip through text, keeping other settings', () => {
    const config = { project: 'x', confirm_fields: { issue_refund: ['amount', 'region'], close_ticket: ['ticket_id'] } };
    const text = confirmFieldsText(config);
    expect(text).toBe('issue_refund: amount, region\nclose_ticket: ticket_id');
    const parsed = parseConfirmFields(`${text}\n\n`);
    expect(parsed).toEqual({ ok: true, value: config.confirm_fields });
    expect(withConfirmFields(config, {})).toEqual({ project: 'x' });
    expect(withConfirmFields(null, { a: ['b'] })).toEqual({ confirm_fields: { a: ['b'] } });
  });

  it('malformed lines are refused with the line named', () => {
    expect(parseConfirmFields('issue_refund amount')).toEqual({ ok: false, error: 'line 1: write "action: field, field"' });
    expect(parseConfirmFields('ok: a\nissue_refund:')).toEqual({ ok: false, error: 'line 2: name at least one field for issue_refund' });
    expect(parseConfirmFields('x: <img src=x>')).toMatchObject({ ok: false });
    expect(parseConfirmFields('a: b\na: c')).toEqual({ ok: false, error: 'line 2: a is listed twice' });
    expect(confirmFieldsText({ confirm_fields: 'nope' })).toBe('');
  });
});

describe('plain http to another machine', () => {
  it('matches the Rust rule: loopback and https are fine, other http hosts need an allowance', () => {
    for (const ok of ['https://a.example.com', 'http://127.0.0.1:8080', 'http://127.9.9.9', 'http://localhost:1', 'http://[::1]:9', 'http://[::ffff:127.0.0.1]:9', 'not a url']) {
      expect(isPlainHttpOffMachine(ok), ok).toBe(false);
    }
    for (const bad of ['http://a.example.com', 'http://10.0.0.5:8080', 'http://localhost.example.com', 'http://[::2]']) {
      expect(isPlainHttpOffMachine(bad), bad).toBe(true);
    }
  });
});
