// Progress of a background import: poll the small JSON endpoint until the job ends, then
// reload so the server renders the full report (works without this script too).
const root = document.getElementById("import-job");
const bar = document.getElementById("import-progress");
const status = document.getElementById("job-status");

async function poll() {
  const response = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const job = await response.json();
  bar.max = Math.max(job.total, 1);
  bar.value = job.finished ? bar.max : job.done;
  bar.textContent = `${job.done} / ${job.total}`;
  if (status.dataset.status !== job.status) {
    status.dataset.status = job.status;
    status.textContent = job.status_label;
  }
  document.getElementById("job-stalled").hidden = !job.stalled;
  if (job.finished) {
    window.location.reload();
    return;
  }
  setTimeout(poll, 1000);
}

if (root.dataset.finished !== "true") setTimeout(poll, 500);
