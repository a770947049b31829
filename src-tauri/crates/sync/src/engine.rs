//! The native protocol's connector ([`Native`]): streams `runs` and `actions` planned with
//! [`crate::plan`], then identity, budgets and sources, all through the kit's one sync loop
//! ([`crate::kit::run_sync`]).

use crate::applier::Applier;
use crate::client::Client;
use crate::error::SyncError;
use crate::kit::{Applied, Connector, Page, PageWrites, Quarantined, StreamSpec, run_sync};
use crate::plan::{PagePlan, Record, Stream, plan_page};
use chrono::Utc;
use countersign_core::{PendingAction, RunColumns};
use countersign_store::backends::BackendRow;
use countersign_store::runs::Applied as Upserted;
use countersign_store::rusqlite::Transaction;
use countersign_store::{actions, backends, budgets, runs, search, sources};
use std::path::Path;

pub use crate::kit::types::{Cancel, Progress, SyncOptions, SyncReport};

/// Syncs one backend into the store at `store_path`: identity, runs, actions, budgets and
/// sources. Pages applied before an error or a cancellation stay applied, with their cursor,
/// so the next sync resumes after them. Health is recorded in the store either way.
pub async fn sync_backend(
    store_path: &Path,
    backend_id: &str,
    client: &Client,
    opts: &SyncOptions,
    cancel: &Cancel,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> SyncReport {
    let mut connector = Native {
        client,
        freshness_days: 0,
    };
    run_sync(
        store_path,
        backend_id,
        &mut connector,
        opts,
        cancel,
        on_progress,
    )
    .await
}

/// The native protocol's connector: streams `runs` then `actions`, then the budgets and
/// sources snapshot.
pub struct Native<'c> {
    /// The backend's client.
    pub client: &'c Client,
    /// The backend's freshness window, read in [`Connector::begin`].
    pub freshness_days: i64,
}

const RUNS: StreamSpec = StreamSpec {
    cursor: "runs",
    progress: "runs",
};
const ACTIONS: StreamSpec = StreamSpec {
    cursor: "actions",
    progress: "actions",
};

/// A native page's accepted records.
pub enum NativeWrites {
    /// Runs, stored with the backend's freshness window and their searchable text.
    Runs(PagePlan<RunColumns>, i64, RunTexts),
    /// Pending actions.
    Actions(PagePlan<PendingAction>),
}

impl PageWrites for NativeWrites {
    fn apply(self, tx: &Transaction<'_>, backend_id: &str) -> Result<Applied, SyncError> {
        let mut applied = Applied::default();
        match self {
            NativeWrites::Runs(plan, fresh, mut texts) => {
                for (a, text) in plan.accepted.iter().zip(&texts.texts) {
                    let now = Utc::now();
                    let r = match text {
                        Some(text) => runs::upsert_indexed(
                            tx,
                            backend_id,
                            &a.record,
                            &a.raw,
                            text,
                            &mut texts.batch,
                            now,
                            fresh,
                        )?,
                        None => {
                            runs::upsert_deferred(tx, backend_id, &a.record, &a.raw, now, fresh)?
                        }
                    };
                    if r != Upserted::Unchanged {
                        applied.runs += 1;
                    }
                }
                texts.batch.store(tx)?;
            }
            NativeWrites::Actions(plan) => {
                for a in &plan.accepted {
                    if actions::upsert(tx, backend_id, &a.record)? != Upserted::Unchanged {
                        applied.actions += 1;
                    }
                }
            }
        }
        Ok(applied)
    }
}

impl Connector for Native<'_> {
    type Writes = NativeWrites;

    fn streams(&self) -> Vec<StreamSpec> {
        vec![RUNS, ACTIONS]
    }

    async fn begin(
        &mut self,
        backend: &BackendRow,
        applier: &mut Applier,
    ) -> Result<(), SyncError> {
        self.freshness_days = backend.freshness_days;
        let who = self.client.whoami().await?;
        let id = backend.backend_id.clone();
        applier
            .with(move |s| Ok(backends::set_whoami(s.conn(), &id, &who)?))
            .await
    }

    async fn fetch(
        &self,
        stream: StreamSpec,
        cursor: Option<&str>,
        opts: &SyncOptions,
    ) -> Result<Page<NativeWrites>, SyncError> {
        if stream == RUNS {
            let (page, (plan, texts)) = fetch_plan::<RunColumns, _>(
                self.client,
                Stream::Runs,
                cursor,
                opts,
                RunTexts::read,
            )
            .await?;
            Ok(page.with(NativeWrites::Runs(plan, self.freshness_days, texts)))
        } else {
            let (page, (plan, ())) =
                fetch_plan::<PendingAction, _>(self.client, Stream::Actions, cursor, opts, |_| ())
                    .await?;
            Ok(page.with(NativeWrites::Actions(plan)))
        }
    }

    async fn end(
        &mut self,
        applier: &mut Applier,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        // Settings this console changes (caps, levels) that it changed after this moment are
        // newer than what the snapshot below can show; the store keeps them.
        let fetched_at = Utc::now();
        let caps = self.client.budgets().await?;
        let srcs = self.client.sources().await?;
        let levels = self.client.autonomy_levels().await?;
        report.budgets = caps.len() as u64;
        report.sources = srcs.len() as u64;
        let id = report.backend_id.clone();
        report.settings_changed = applier
            .with(move |s| {
                let tx = s.write()?;
                let mut changed = budgets::replace_synced(&tx, &id, &caps, fetched_at)?;
                changed |= sources::replace_all(&tx, &id, &srcs)?;
                if let Some(levels) = &levels {
                    changed |= countersign_store::autonomy::replace_enforced(
                        &tx,
                        &id,
                        levels,
                        fetched_at,
                        Utc::now(),
                    )?;
                }
                tx.commit().map_err(countersign_store::StoreError::from)?;
                Ok(changed)
            })
            .await?;
        Ok(())
    }
}

impl Page<()> {
    fn with<W>(self, writes: W) -> Page<W> {
        Page {
            writes,
            quarantined: self.quarantined,
            next_cursor: self.next_cursor,
            has_more: self.has_more,
        }
    }
}

/// The searchable text of a page's accepted runs, read on the planning thread so the writer
/// only enters it into the index: one text per run (`None` when the text could not be read:
/// that run is queued for indexing instead), and the page's index batch holding its words.
pub struct RunTexts {
    texts: Vec<Option<String>>,
    batch: search::Batch,
}

impl RunTexts {
    /// Reads the text and words of every run `plan` accepted.
    fn read(plan: &PagePlan<RunColumns>) -> RunTexts {
        let mut batch = search::Batch::default();
        let texts = plan
            .accepted
            .iter()
            .map(|a| {
                let text = search::run_text_json(&a.raw).ok()?;
                let outcome = a.record.outcome.as_str();
                batch.words().add(&a.record.workflow, outcome, &text);
                Some(text)
            })
            .collect();
        RunTexts { texts, batch }
    }
}

/// Fetches the page after `cursor` and plans it on a blocking thread, where `then` also runs
/// on the plan: the page without its writes (quarantines, cursor), and the plan whose accepted
/// records are the writes with what `then` read from it.
async fn fetch_plan<T: Record + Send + 'static, W: Send + 'static>(
    client: &Client,
    stream: Stream,
    cursor: Option<&str>,
    opts: &SyncOptions,
    then: impl FnOnce(&PagePlan<T>) -> W + Send + 'static,
) -> Result<(Page<()>, (PagePlan<T>, W)), SyncError> {
    let page = client.page(stream.as_str(), cursor, opts.page_size).await?;
    let has_more = page.has_more && !page.items.is_empty();
    let items = page.items;
    let max_record = opts.max_record_bytes;
    let (mut plan, extra) = tokio::task::spawn_blocking(move || {
        let plan = plan_page::<T>(&items, max_record);
        let extra = then(&plan);
        (plan, extra)
    })
    .await
    .map_err(|e| SyncError::Protocol(format!("parse task failed: {e}")))?;
    let quarantined = std::mem::take(&mut plan.quarantined)
        .into_iter()
        .map(|(reason, raw)| Quarantined {
            stream: stream.as_str(),
            reason,
            raw,
        })
        .collect();
    let page = Page {
        writes: (),
        quarantined,
        next_cursor: page.next_cursor,
        has_more,
    };
    Ok((page, (plan, extra)))
}

/// Indexes runs that sync stored for full-text search, `chunk` per transaction, until none are
/// left or `cancel` is set, then reads runs indexed before the search vocabulary had
/// facets into it ([`countersign_store::search_words::backfill_by_facet`]). Returns how
/// many runs were indexed.
pub async fn index_search(
    store_path: &Path,
    chunk: u32,
    cancel: &Cancel,
) -> Result<u64, SyncError> {
    let mut applier = Applier::new(store_path);
    let total = drain(&mut applier, cancel, move |s| {
        let tx = s.write()?;
        let n = countersign_store::search::index_pending(&tx, chunk)?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(n)
    })
    .await?;
    // A store indexed before the search vocabulary had facets: read its runs in, a chunk a
    // transaction (nothing to do once done).
    drain(&mut applier, cancel, move |s| {
        if countersign_store::search_words::by_facet_ready(s.conn())? {
            return Ok(0);
        }
        let tx = s.write()?;
        let n = countersign_store::search_words::backfill_by_facet(&tx, chunk)?;
        tx.commit().map_err(countersign_store::StoreError::from)?;
        Ok(n)
    })
    .await?;
    Ok(total)
}

/// Runs `step` (one transaction, returning how many runs it handled) until it handles none or
/// `cancel` is set; returns the runs handled.
async fn drain(
    applier: &mut Applier,
    cancel: &Cancel,
    step: impl Fn(&mut countersign_store::Store) -> Result<usize, SyncError> + Copy + Send + 'static,
) -> Result<u64, SyncError> {
    let mut total = 0u64;
    while !cancel.is_cancelled() {
        let n = applier.with(step).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    Ok(total)
}
