//! Wake-ups for agents waiting on a decision: one watch channel per action somebody waits on,
//! created by the first waiter and dropped with the last, bumped after every committed change
//! of the action (decision, expiry, reported result). Waiters subscribe before they read the
//! action, so a change committed between their read and their wait still wakes them.
//!
//! This is in-process. Server processes sharing a PostgreSQL database also hear of each
//! other's changes: each sends `NOTIFY` after a change and listens for the others'
//! (`db::pg::listen`), which calls [`Wakeups::wake`] here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The channels, by action id.
#[derive(Default)]
pub(crate) struct Wakeups {
    channels: Mutex<HashMap<String, watch::Sender<u64>>>,
}

/// A waiter's subscription; dropping it drops the channel when nobody else waits.
pub(crate) struct Subscription {
    owner: Arc<Wakeups>,
    id: String,
    rx: Option<watch::Receiver<u64>>,
}

impl Subscription {
    /// Resolves at the next change of the action after the subscription was taken (or the
    /// last one it saw).
    pub(crate) async fn changed(&mut self) {
        if let Some(rx) = self.rx.as_mut()
            && rx.changed().await.is_err()
        {
            // The sender is gone only when the map lost it; never wake spuriously forever.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.rx = None;
        if let Ok(mut map) = self.owner.channels.lock()
            && map.get(&self.id).is_some_and(|tx| tx.receiver_count() == 0)
        {
            map.remove(&self.id);
        }
    }
}

impl Wakeups {
    /// Subscribes to changes of action `id`.
    pub(crate) fn subscribe(self: &Arc<Self>, id: &str) -> Subscription {
        let rx = self.channels.lock().ok().map(|mut map| {
            map.entry(id.to_string())
                .or_insert_with(|| watch::channel(0).0)
                .subscribe()
        });
        Subscription {
            owner: self.clone(),
            id: id.to_string(),
            rx,
        }
    }

    /// Wakes everyone waiting on action `id` (after its change was committed).
    pub(crate) fn wake(&self, id: &str) {
        if let Ok(map) = self.channels.lock()
            && let Some(tx) = map.get(id)
        {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Wakes every waiter (they re-read their action): notifications may have been lost.
    pub(crate) fn wake_all(&self) {
        if let Ok(map) = self.channels.lock() {
            for tx in map.values() {
                tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// How many actions have waiters.
    pub(crate) fn len(&self) -> usize {
        self.channels.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_after_subscribing_is_seen_and_the_last_waiter_cleans_up() {
        let w = Arc::new(Wakeups::default());
        let mut a = w.subscribe("a1");
        let b = w.subscribe("a1");
        w.wake("a2");
        w.wake("a1");
        tokio::time::timeout(std::time::Duration::from_secs(5), a.changed())
            .await
            .expect("woken");
        drop(a);
        assert_eq!(w.len(), 1);
        drop(b);
        assert_eq!(w.len(), 0);
    }
}
