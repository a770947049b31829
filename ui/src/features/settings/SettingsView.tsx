import { getIdentityKeys, getPriceTable, getReceiver } from '../../api';
import { useLoad } from '../../app/useLoad';
import { ViewHeader } from '../../components/ViewHeader';
import { IdentityKeysPanel } from './IdentityKeysPanel';
import { PriceTableEditor } from './PriceTableEditor';
import { ReceiverPanel } from './ReceiverPanel';
import './settings.css';

/** Settings: the model price table, the OTLP/HTTP receiver, and the identity keys of imported traces. */
export function SettingsView() {
  const prices = useLoad(getPriceTable, 'prices', 'Loading the price table');
  const receiver = useLoad(getReceiver, 'receiver', 'Loading the receiver settings');
  const identity = useLoad(getIdentityKeys, 'identity', 'Loading the identity keys');
  return (
    <section className="view settings" data-testid="settings-view">
      <ViewHeader title="Settings" loadedAt={prices.loadedAt} />
      {prices.data ? <PriceTableEditor table={prices.data} onSaved={() => prices.reload()} /> : <p className="muted">Loading prices…</p>}
      {receiver.data ? <ReceiverPanel view={receiver.data} onChanged={() => receiver.reload()} /> : <p className="muted">Loading the receiver…</p>}
      {identity.data ? <IdentityKeysPanel view={identity.data} onSaved={() => identity.reload()} /> : <p className="muted">Loading the identity keys…</p>}
    </section>
  );
}
