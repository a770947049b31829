import type { FileSummary } from '../../api/types';
import { SafeText } from '../../components/SafeText';
import { TimeText } from '../../components/TimeText';

/** A run range; open ends in words. */
export function Range({ from, to }: { from: string | null; to: string | null }) {
  return (
    <>
      {from ? <TimeText value={from} /> : 'the first event'} → {to ? <TimeText value={to} /> : 'now'}
    </>
  );
}

/** A bundle's files with line counts and hashes. */
export function Files({ files }: { files: readonly FileSummary[] }) {
  return (
    <table className="grid files">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Lines</th>
          <th>SHA-256</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.name} data-testid="bundle-file" data-name={f.name}>
            <td>
              <code>
                <SafeText text={f.name} />
              </code>
            </td>
            <td className="num">{f.lines.toLocaleString('en-US')}</td>
            <td>
              <code className="hash">{f.sha256}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
