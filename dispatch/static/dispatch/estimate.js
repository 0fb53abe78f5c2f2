// Before a mission exists: about how many of the zone's jobs fit the day, asked again (POST,
// read-only, straight lines on the server) whenever the zone, the ticked jobs, the team, the
// travel mode, the shift or the number of agents change; one more agent and one more hour
// are offered as buttons that change the form.

import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const FIELDS = ["plan-team", "plan-profile", "plan-shift-start", "plan-shift-end", "plan-agents", "plan-open"];
let ctx = null; // { url, strings, say, fmt, laterBy, planned: () => {zone, excluded} | null }
let timer = null;
let asked = 0; // only the answer to the latest question is shown

export function bindEstimate(context) {
  ctx = context;
  for (const id of FIELDS) $(id).addEventListener("change", scheduleEstimate);
  $("estimate-agent").addEventListener("click", () => {
    $("plan-agents").value = Math.min((Number($("plan-agents").value) || 1) + 1, 20);
    scheduleEstimate();
  });
  $("estimate-longer").addEventListener("click", () => {
    $("plan-shift-end").value = ctx.laterBy($("plan-shift-end").value, 1);
    scheduleEstimate();
  });
}

export function scheduleEstimate() {
  clearTimeout(timer);
  timer = setTimeout(estimateFit, 250);
}

function excludedIds(excluded, kind) {
  return [...excluded].filter((k) => k[0] === kind).map((k) => Number(k.slice(1)));
}

async function estimateFit() {
  const box = $("plan-estimate");
  const planned = ctx && ctx.planned();
  if (!planned || !planned.zone) {
    box.hidden = true;
    return;
  }
  const question = ++asked;
  const body = {
    zone: planned.zone,
    team: Number($("plan-team").value) || null,
    profile: $("plan-profile").value,
    shift_start: $("plan-shift-start").value,
    shift_end: $("plan-shift-end").value,
    agents: Number($("plan-agents").value) || 1,
    open_round: $("plan-open").checked,
    exclude_reports: excludedIds(planned.excluded, "r"),
    exclude_interventions: excludedIds(planned.excluded, "i"),
  };
  try {
    const answer = await api(ctx.url, { method: "POST", body });
    if (question === asked) renderEstimate(answer);
  } catch (error) {
    if (question !== asked) return;
    box.hidden = false;
    delete box.dataset.fit;
    ctx.say("plan-estimate-text", String(error.message));
    $("plan-estimate-ways").hidden = true;
    $("estimate-agent").hidden = $("estimate-longer").hidden = true;
  }
}

function renderEstimate(e) {
  const T = ctx.strings;
  const box = $("plan-estimate");
  box.hidden = false;
  box.dataset.fit = e.fit;
  box.dataset.total = e.total;
  const text = ctx.fmt(T.estimate, { n: e.fit, total: e.total, agents: e.agents, start: e.shift_start, end: e.shift_end });
  ctx.say("plan-estimate-text", e.from_depot ? text : `${text} ${T.estimate_no_depot}`);
  const agent = e.ways_out.one_more_agent;
  const hour = e.ways_out.one_more_hour;
  const ways = $("plan-estimate-ways");
  ways.hidden = !e.left;
  if (e.left && agent) {
    const values = { u: e.left, a: agent.fit, total: e.total, end: hour && hour.shift_end, h: hour && hour.fit };
    ways.textContent = ctx.fmt(hour ? T.estimate_ways : T.estimate_ways_agent, values);
  }
  const focused = document.activeElement;
  $("estimate-agent").hidden = !agent;
  $("estimate-longer").hidden = !hour;
  // Everything fits now: the button just pressed is gone, the focus goes to what it changed.
  if (focused && focused.closest("#plan-estimate") && focused.closest("[hidden]")) $("plan-estimate-text").focus();
}
