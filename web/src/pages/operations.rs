//! `/operations` (administrators): backups with the result of their restore tests, point-in-time
//! restores, and maintenance runs with their reports. The runs are made on the servers by
//! `hms backup`, `hms backup verify`, `hms restore` and `hms maintenance`; this page shows what
//! they recorded.
//!
//! Element ids:
//! - `main#operations-page`, `#operations-summary` (the newest proven backup)
//! - `#backups-error`, `#backups-loading`, `#backups-empty`, `table#backups-table` with
//!   `tr.backup-run[data-kind][data-result]` (in a row: `.run-verification` for backups,
//!   `details.run-details` with steps and row counts), `button#backups-more`
//! - `#maintenance-error`, `#maintenance-loading`, `#maintenance-empty`,
//!   `table#maintenance-table` with `tr.maintenance-run[data-result]`, `button#maintenance-more`

use chrono::{DateTime, Utc};
use hms_api_types::operations::{
    BackupRun, BackupRunKind, MaintenanceReport, MaintenanceResult, MaintenanceRun, RunResult,
};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

/// One paginated list as shown.
#[derive(Debug, Clone, PartialEq)]
struct Listed<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            items: Vec::new(),
            next_cursor: None,
            loading: true,
            error: None,
        }
    }
}

/// `<main id="operations-page">`.
#[component]
pub fn OperationsPage() -> Html {
    let session = use_session();
    let api = session.api().clone();
    let backups = use_state(Listed::<BackupRun>::default);
    let maintenance = use_state(Listed::<MaintenanceRun>::default);

    let load_backups = {
        let api = api.clone();
        let backups = backups.clone();
        Callback::from(move |cursor: Option<String>| {
            let mut next = (*backups).clone();
            next.loading = true;
            next.error = None;
            backups.set(next.clone());
            let api = api.clone();
            let backups = backups.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.list_backup_runs(cursor.as_deref()).await;
                next.loading = false;
                match result {
                    Ok(page) => {
                        if cursor.is_none() {
                            next.items.clear();
                        }
                        next.items.extend(page.items);
                        next.next_cursor = page.next_cursor;
                    }
                    Err(e) => next.error = Some(e),
                }
                backups.set(next);
            });
        })
    };
    let load_maintenance = {
        let maintenance = maintenance.clone();
        Callback::from(move |cursor: Option<String>| {
            let mut next = (*maintenance).clone();
            next.loading = true;
            next.error = None;
            maintenance.set(next.clone());
            let api = api.clone();
            let maintenance = maintenance.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.list_maintenance_runs(cursor.as_deref()).await;
                next.loading = false;
                match result {
                    Ok(page) => {
                        if cursor.is_none() {
                            next.items.clear();
                        }
                        next.items.extend(page.items);
                        next.next_cursor = page.next_cursor;
                    }
                    Err(e) => next.error = Some(e),
                }
                maintenance.set(next);
            });
        })
    };
    {
        let load_backups = load_backups.clone();
        let load_maintenance = load_maintenance.clone();
        use_effect_with((), move |_| {
            load_backups.emit(None);
            load_maintenance.emit(None);
        });
    }

    let more_backups = {
        let load = load_backups.clone();
        let cursor = backups.next_cursor.clone();
        Callback::from(move |_: MouseEvent| load.emit(cursor.clone()))
    };
    let more_maintenance = {
        let load = load_maintenance.clone();
        let cursor = maintenance.next_cursor.clone();
        Callback::from(move |_: MouseEvent| load.emit(cursor.clone()))
    };
    let retry_backups = {
        let load = load_backups.clone();
        Callback::from(move |_| load.emit(None))
    };
    let retry_maintenance = {
        let load = load_maintenance.clone();
        Callback::from(move |_| load.emit(None))
    };

    html! {
        <main id="operations-page" class="page">
            <h1>{ "Operations" }</h1>
            <p class="lead">
                { "Backups count only once they have been restored: each backup is verified by restoring it into a scratch server, checking every page and comparing row counts. Maintenance looks for corruption and keeps tables healthy." }
            </p>
            { summary(&backups.items, maintenance.items.first()) }

            <section aria-labelledby="backups-heading">
                <h2 id="backups-heading">{ "Backups and restores" }</h2>
                <ProblemAlert id="backups-error" error={backups.error.clone()} onretry={retry_backups} />
                {
                    if backups.items.is_empty() && backups.loading {
                        html! { <p id="backups-loading" class="loading" role="status">{ "Loading…" }</p> }
                    } else if backups.items.is_empty() && backups.error.is_none() {
                        html! {
                            <p id="backups-empty" class="muted">
                                { "No backup has been recorded. Take one with " }
                                <code>{ "hms backup" }</code>{ " and prove it with " }
                                <code>{ "hms backup verify" }</code>{ "." }
                            </p>
                        }
                    } else {
                        html! {
                            <div class="table-wrap">
                                <table id="backups-table" class="table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{ "Run" }</th>
                                            <th scope="col">{ "Started" }</th>
                                            <th scope="col">{ "Duration" }</th>
                                            <th scope="col">{ "Size" }</th>
                                            <th scope="col">{ "Result" }</th>
                                            <th scope="col">{ "Details" }</th>
                                        </tr>
                                    </thead>
                                    <tbody>{ for backups.items.iter().map(backup_row) }</tbody>
                                </table>
                            </div>
                        }
                    }
                }
                if backups.next_cursor.is_some() {
                    <button id="backups-more" type="button" class="button secondary"
                        disabled={backups.loading} onclick={more_backups}>
                        { if backups.loading { "Loading…" } else { "Show older runs" } }
                    </button>
                }
            </section>

            <section aria-labelledby="maintenance-heading">
                <h2 id="maintenance-heading">{ "Maintenance" }</h2>
                <ProblemAlert id="maintenance-error" error={maintenance.error.clone()} onretry={retry_maintenance} />
                {
                    if maintenance.items.is_empty() && maintenance.loading {
                        html! { <p id="maintenance-loading" class="loading" role="status">{ "Loading…" }</p> }
                    } else if maintenance.items.is_empty() && maintenance.error.is_none() {
                        html! {
                            <p id="maintenance-empty" class="muted">
                                { "No maintenance run has been recorded. Run " }
                                <code>{ "hms maintenance" }</code>{ "." }
                            </p>
                        }
                    } else {
                        html! {
                            <div class="table-wrap">
                                <table id="maintenance-table" class="table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{ "Started" }</th>
                                            <th scope="col">{ "Duration" }</th>
                                            <th scope="col">{ "Result" }</th>
                                            <th scope="col">{ "Report" }</th>
                                        </tr>
                                    </thead>
                                    <tbody>{ for maintenance.items.iter().map(maintenance_row) }</tbody>
                                </table>
                            </div>
                        }
                    }
                }
                if maintenance.next_cursor.is_some() {
                    <button id="maintenance-more" type="button" class="button secondary"
                        disabled={maintenance.loading} onclick={more_maintenance}>
                        { if maintenance.loading { "Loading…" } else { "Show older runs" } }
                    </button>
                }
            </section>
        </main>
    }
}

/// The newest backup proven by restoring it, and the newest maintenance result.
fn summary(backups: &[BackupRun], maintenance: Option<&MaintenanceRun>) -> Html {
    let proven = backups.iter().find(|b| {
        b.kind == BackupRunKind::Backup
            && b.verification
                .as_ref()
                .is_some_and(|v| v.result == RunResult::Ok)
    });
    let newest_verification = backups
        .iter()
        .filter_map(|b| b.verification.as_ref())
        .max_by_key(|v| v.finished_at);
    html! {
        <ul id="operations-summary" class="summary-list">
            <li>
                <strong>{ "Newest proven backup: " }</strong>
                {
                    match proven {
                        Some(b) => format!(
                            "{}, taken {} ({} old)",
                            b.backup_label.as_deref().unwrap_or("?"),
                            display::local_time(b.finished_at),
                            age(b.finished_at)
                        ),
                        None => "none among the runs shown — a backup that was never restored is not proven.".to_owned(),
                    }
                }
            </li>
            if let Some(v) = newest_verification {
                <li>
                    <strong>{ "Newest restore test: " }</strong>
                    <span class={classes!("badge", result_class(v.result))}>{ result_label(v.result) }</span>
                    { format!(" {}", display::local_time(v.finished_at)) }
                </li>
            }
            if let Some(m) = maintenance {
                <li>
                    <strong>{ "Newest maintenance: " }</strong>
                    <span class={classes!("badge", maintenance_class(m.result))}>{ maintenance_label(m.result) }</span>
                    { format!(" {} — {}", display::local_time(m.finished_at), m.summary) }
                </li>
            }
        </ul>
    }
}

fn backup_row(run: &BackupRun) -> Html {
    let kind = match run.kind {
        BackupRunKind::Backup => "Backup",
        BackupRunKind::Verify => "Restore test",
        BackupRunKind::Restore => "Point-in-time restore",
    };
    let size = match (run.size_bytes, run.repository_bytes) {
        (Some(s), Some(r)) => format!("{} ({} stored)", bytes(s), bytes(r)),
        (Some(s), None) => bytes(s),
        _ => "—".to_owned(),
    };
    html! {
        <tr class="backup-run" data-kind={run.kind.as_str()} data-result={run.result.as_str()}>
            <td>
                { kind }
                if let Some(label) = &run.backup_label {
                    <div class="muted"><code>{ label.clone() }</code></div>
                }
            </td>
            <td>{ display::local_time(run.started_at) }</td>
            <td>{ duration(run.duration_ms) }</td>
            <td>{ size }</td>
            <td>
                <span class={classes!("badge", result_class(run.result))}>{ result_label(run.result) }</span>
                if run.kind == BackupRunKind::Backup {
                    <div class="run-verification muted">
                        {
                            match &run.verification {
                                Some(v) if v.result == RunResult::Ok => format!("Restore test passed {}", display::local_time(v.finished_at)),
                                Some(v) => format!("Restore test FAILED {}", display::local_time(v.finished_at)),
                                None => "Not verified yet".to_owned(),
                            }
                        }
                    </div>
                }
            </td>
            <td>
                <p>{ run.detail.clone() }</p>
                if !run.steps.is_empty() || !run.row_counts.is_empty() {
                    <details class="run-details">
                        <summary>{ "Steps and row counts" }</summary>
                        if !run.steps.is_empty() {
                            <table class="table compact">
                                <tbody>
                                    { for run.steps.iter().map(|s| html! {
                                        <tr class={classes!((!s.ok).then_some("failed"))}>
                                            <td>{ s.name.clone() }</td>
                                            <td>{ duration(s.duration_ms) }</td>
                                            <td>{ if s.ok { "ok".to_owned() } else { format!("failed: {}", s.detail.clone().unwrap_or_default()) } }</td>
                                        </tr>
                                    }) }
                                </tbody>
                            </table>
                        }
                        if !run.row_counts.is_empty() {
                            <table class="table compact row-counts">
                                <thead>
                                    <tr>
                                        <th scope="col">{ "Table" }</th>
                                        <th scope="col">{ "Rows at the backup" }</th>
                                        if run.kind == BackupRunKind::Verify {
                                            <th scope="col">{ "Rows restored" }</th>
                                        }
                                    </tr>
                                </thead>
                                <tbody>
                                    { for run.row_counts.iter().map(|c| html! {
                                        <tr class={classes!((c.found.is_some() && c.expected.is_some() && c.found != c.expected).then_some("failed"))}>
                                            <td>{ c.table.clone() }</td>
                                            <td>{ c.expected.map(|n| n.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                            if run.kind == BackupRunKind::Verify {
                                                <td>{ c.found.map(|n| n.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                            }
                                        </tr>
                                    }) }
                                </tbody>
                            </table>
                        }
                    </details>
                }
            </td>
        </tr>
    }
}

fn maintenance_row(run: &MaintenanceRun) -> Html {
    html! {
        <tr class="maintenance-run" data-result={run.result.as_str()}>
            <td>{ display::local_time(run.started_at) }</td>
            <td>{ duration(run.duration_ms) }</td>
            <td>
                <span class={classes!("badge", maintenance_class(run.result))}>{ maintenance_label(run.result) }</span>
            </td>
            <td>
                <p>{ run.summary.clone() }</p>
                <details class="run-details">
                    <summary>{ "Report" }</summary>
                    { report(&run.report) }
                </details>
            </td>
        </tr>
    }
}

fn report(r: &MaintenanceReport) -> Html {
    let list = |title: &str, lines: Vec<String>| -> Html {
        if lines.is_empty() {
            return Html::default();
        }
        html! {
            <>
                <h4>{ title.to_owned() }</h4>
                <ul>{ for lines.into_iter().map(|l| html! { <li>{ l }</li> }) }</ul>
            </>
        }
    };
    html! {
        <div class="maintenance-report">
            { list("Problems", r.problems.clone()) }
            { list("Checks that could not run", r.errors.clone()) }
            <p>
                { format!(
                    "Data checksums: {}. pg_amcheck: {}.",
                    match r.data_checksums { Some(true) => "on", Some(false) => "OFF", None => "unknown" },
                    if !r.amcheck.ran { "not run".to_owned() }
                    else if r.amcheck.ok { format!("clean ({})", duration(r.amcheck.duration_ms)) }
                    else { "found problems".to_owned() }
                ) }
            </p>
            { list("pg_amcheck said", r.amcheck.findings.clone()) }
            { list("Checksum failures", r.checksum_failures.iter().map(|f| format!(
                "{}: {} page(s){}",
                f.database.as_deref().unwrap_or("shared catalogs"),
                f.failures,
                f.last_failure.map(|t| format!(", last {}", display::local_time(t))).unwrap_or_default()
            )).collect()) }
            { list("Vacuumed", r.vacuumed.iter().map(|v| format!(
                "{}: {} dead of {} rows ({:.0} %) in {}{}",
                v.table, v.dead_rows, v.live_rows + v.dead_rows, v.dead_ratio * 100.0,
                duration(v.duration_ms),
                v.error.as_deref().map(|e| format!(" — FAILED: {e}")).unwrap_or_default()
            )).collect()) }
            { list("Estimated bloat", r.bloat.iter().map(|b| format!(
                "{}: {} of {} ({:.0} %)", b.table, bytes(b.estimated_bloat_bytes), bytes(b.table_bytes), b.bloat_ratio * 100.0
            )).collect()) }
            { list("Invalid indexes", r.invalid_indexes.iter().map(|i| format!("{} on {}", i.index, i.table)).collect()) }
            { list("Big indexes never used", r.unused_indexes.iter().map(|i| format!(
                "{} on {} ({})", i.index, i.table, bytes(i.bytes)
            )).collect()) }
            if let Some(since) = r.stats_since {
                <p class="muted">{ format!("Usage statistics since {}.", display::local_time(since)) }</p>
            }
        </div>
    }
}

fn result_label(r: RunResult) -> &'static str {
    match r {
        RunResult::Ok => "OK",
        RunResult::Failed => "Failed",
    }
}

fn result_class(r: RunResult) -> &'static str {
    match r {
        RunResult::Ok => "result-ok",
        RunResult::Failed => "result-failed",
    }
}

fn maintenance_label(r: MaintenanceResult) -> &'static str {
    match r {
        MaintenanceResult::Ok => "OK",
        MaintenanceResult::ProblemsFound => "Problems found",
        MaintenanceResult::Incomplete => "Incomplete",
    }
}

fn maintenance_class(r: MaintenanceResult) -> &'static str {
    match r {
        MaintenanceResult::Ok => "result-ok",
        MaintenanceResult::ProblemsFound => "result-failed",
        MaintenanceResult::Incomplete => "result-incomplete",
    }
}

fn duration(ms: i64) -> String {
    if ms >= 60_000 {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

fn age(t: DateTime<Utc>) -> String {
    let secs = (display::now() - t).num_seconds().max(0);
    match secs {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}
