// berth console: reads the v3 API with the operator's token (kept in sessionStorage) and
// shows applications, their environments' conditions, recent deployments and the live
// events. Everything from the API goes into the page as text (textContent), never HTML.
"use strict";

const REFRESH_MS = 5000;          // state is re-read this often even without events
const EVENT_REFRESH_DELAY_MS = 300; // a burst of events costs one re-read
const MAX_EVENTS = 200;
const DEPLOYMENTS_SHOWN = 5;
const TOKEN_KEY = "berth.token";
const ORGANISATION_KEY = "berth.organisation";

const $ = (id) => document.getElementById(id);
let session = null;        // {organisation, token}
let refreshTimer = null;
let pendingRefresh = null;
let streamAbort = null;
let lastEventId = null;
const seenEvents = new Set();

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function element(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

function base() {
  return "/api/v3/organizations/" + encodeURIComponent(session.organisation);
}

async function api(path, init) {
  const response = await fetch(base() + path, {
    ...(init || {}),
    headers: { Authorization: "Bearer " + session.token, Accept: "application/json" },
    cache: "no-store",
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body.detail || body.message || body.title || detail;
    } catch (_) { /* not problem+json */ }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

function showProblem(message) {
  const box = $("problem");
  box.textContent = message;
  box.hidden = !message;
}

// --- Applications --------------------------------------------------------------------

function badge(text, status) {
  return element("span", text, { class: "badge", "data-status": status });
}

function cell(...children) {
  const node = element("td");
  node.append(...children);
  return node;
}

function conditionsCell(conditions) {
  const cell = element("td");
  const list = element("div", null, { class: "conditions" });
  for (const condition of conditions || []) {
    const item = element("span", null, { "data-condition": condition.type, "data-value": String(condition.status) });
    item.append(badge(condition.type + (condition.status ? "" : ": no"), String(condition.status) + "-" + condition.type));
    const detail = [condition.reason, condition.message].filter(Boolean).join(": ");
    if (detail && (condition.status || condition.type === "Ready")) {
      item.append(element("span", detail, { class: "condition-detail" }));
    }
    list.append(item);
  }
  if (!list.childElementCount) list.append(element("span", "none reported yet", { class: "muted" }));
  cell.append(list);
  return cell;
}

function failureOf(environment) {
  const degraded = (environment.conditions || []).find((c) => c.type === "Degraded" && c.status);
  if (degraded) return [degraded.reason, degraded.message].filter(Boolean).join(": ");
  if (environment.deploymentStatus === "FAILED") {
    return "Deployment failed" + (environment.deploymentFailureReason ? ": " + environment.deploymentFailureReason : "");
  }
  return null;
}

function environmentsTable(environments) {
  const table = element("table", null, { class: "environments" });
  const head = element("tr");
  for (const title of ["Environment", "Status", "Tasks", "Deployment", "Conditions"]) head.append(element("th", title));
  table.append(element("thead"));
  table.tHead.append(head);
  const body = element("tbody");
  for (const environment of environments) {
    const row = element("tr", null, { "data-environment": environment.envName, "data-status": environment.status });
    row.append(element("td", environment.envName));
    row.append(cell(badge(environment.status, environment.status)));
    const running = environment.runningCount ?? "–";
    const desired = environment.desiredCount ?? "–";
    row.append(element("td", running + " / " + desired));
    const deployment = element("td");
    if (environment.deploymentStatus) deployment.append(badge(environment.deploymentStatus, environment.deploymentStatus));
    row.append(deployment);
    row.append(conditionsCell(environment.conditions));
    body.append(row);
  }
  table.append(body);
  return table;
}

function deploymentsTable(deployments) {
  const table = element("table", null, { class: "deployments" });
  const head = element("tr");
  for (const title of ["Deployment", "Status", "Image tag", "Started"]) head.append(element("th", title));
  table.append(element("thead"));
  table.tHead.append(head);
  const body = element("tbody");
  for (const deployment of deployments.slice(0, DEPLOYMENTS_SHOWN)) {
    const row = element("tr");
    row.append(element("td", deployment.deploymentId));
    row.append(cell(badge(deployment.status, deployment.status)));
    row.append(element("td", deployment.imageTag || "–"));
    row.append(element("td", new Date(deployment.createdAt).toLocaleString()));
    body.append(row);
  }
  table.append(body);
  return table;
}

function applicationCard(application, environments) {
  const card = element("article", null, {
    class: "application", "data-application": application.appName, "data-status": application.status,
  });
  const title = element("h3", application.appName);
  title.append(badge(application.status, application.status));
  card.append(title);
  for (const environment of environments) {
    const failure = failureOf(environment);
    if (failure) card.append(element("p", environment.envName + " — " + failure, { class: "failure" }));
  }
  card.append(environmentsTable(environments));
  const deployments = application.deploymentInformation || [];
  if (deployments.length) {
    card.append(element("h4", "Recent deployments (production)"));
    card.append(deploymentsTable(deployments));
  }
  return card;
}

async function loadApplication(application) {
  const path = "/applications/" + encodeURIComponent(application.appName) + "/environments";
  const summaries = await api(path);
  // The list carries no conditions; each environment's own view does.
  return Promise.all(summaries.map((s) => api(path + "/" + encodeURIComponent(s.envName)).catch(() => s)));
}

let refreshes = 0;

async function refresh() {
  if (!session) return;
  const number = ++refreshes;
  try {
    const applications = await api("/applications");
    const environments = await Promise.all(applications.map(loadApplication));
    // A slower, older read never overwrites a newer one.
    if (number !== refreshes || !session) return;
    const cards = applications.map((application, i) => applicationCard(application, environments[i]));
    $("applications").replaceChildren(...cards);
    $("no-applications").hidden = applications.length > 0;
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    showProblem("");
  } catch (error) {
    handleError(error);
  }
}

function refreshSoon() {
  if (pendingRefresh) return;
  pendingRefresh = setTimeout(() => { pendingRefresh = null; refresh(); }, EVENT_REFRESH_DELAY_MS);
}

function handleError(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
    showProblem(error.status === 401
      ? "The API token was refused: " + error.message + " Sign out and enter a valid token."
      : "Organisation not found for this token: " + error.message);
  } else {
    showProblem("berth cannot be read right now: " + (error.message || error));
  }
}

// --- Events --------------------------------------------------------------------------

function eventItem(event) {
  const item = element("li", null, { "data-type": event.type, "data-event-id": event.id, "data-reason": event.reason });
  item.append(element("span", event.reason, { class: "reason" }));
  const where = [event.application, event.environment, event.controller].filter(Boolean).join(" / ");
  item.append(element("span", where, { class: "where" }));
  item.append(element("time", new Date(event.time).toLocaleTimeString(), { datetime: event.time }));
  item.append(element("span", event.message, { class: "message" }));
  return item;
}

function addEvent(event, newest) {
  if (seenEvents.has(event.id)) return;
  seenEvents.add(event.id);
  const list = $("events");
  if (newest) list.prepend(eventItem(event)); else list.append(eventItem(event));
  while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
  $("no-events").hidden = true;
}

async function loadRecentEvents() {
  const page = await api("/events?limit=50");
  for (const event of page.events) addEvent(event, false);
  if (page.events.length && lastEventId === null) lastEventId = page.events[0].id;
}

function setStreamState(state, text) {
  const label = $("stream-state");
  label.dataset.state = state;
  label.textContent = "events: " + text;
}

// Server-Sent Events read through fetch, so the token travels in a header.
async function followEvents(signal) {
  let delay = 2000;
  while (!signal.aborted) {
    try {
      const headers = { Authorization: "Bearer " + session.token, Accept: "text/event-stream" };
      if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
      const response = await fetch(base() + "/events/stream", { headers, signal, cache: "no-store" });
      if (response.status === 401) throw new ApiError(401, "The API token was refused.");
      if (!response.ok || !response.body) throw new Error("stream answered " + response.status);
      setStreamState("live", "live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const retry = onFrame(frame);
          if (retry) delay = retry;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError) { handleError(error); setStreamState("idle", "stopped"); return; }
    }
    setStreamState("reconnecting", "reconnecting");
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function onFrame(frame) {
  let id = null, data = [], retry = null;
  for (const line of frame.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "data") data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  if (id !== null) lastEventId = id;
  if (data.length) {
    addEvent(JSON.parse(data.join("\n")), true);
    refreshSoon();
  }
  return retry;
}

// --- Session -------------------------------------------------------------------------

async function start() {
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("sign-out").hidden = false;
  $("organisation-label").textContent = session.organisation;
  await refresh();
  try { await loadRecentEvents(); } catch (error) { handleError(error); }
  streamAbort = new AbortController();
  followEvents(streamAbort.signal);
  refreshTimer = setInterval(refresh, REFRESH_MS);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ORGANISATION_KEY);
  if (streamAbort) streamAbort.abort();
  clearInterval(refreshTimer);
  session = null;
  lastEventId = null;
  seenEvents.clear();
  $("events").replaceChildren();
  $("no-events").hidden = false;
  $("applications").replaceChildren();
  $("console").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("organisation-label").textContent = "";
  showProblem("");
  setStreamState("idle", "not connected");
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    session = { organisation: $("organisation").value.trim(), token: $("token").value.trim() };
    $("token").value = "";
    sessionStorage.setItem(ORGANISATION_KEY, session.organisation);
    sessionStorage.setItem(TOKEN_KEY, session.token);
    start();
  });
  $("sign-out").addEventListener("click", signOut);
  const token = sessionStorage.getItem(TOKEN_KEY);
  const organisation = sessionStorage.getItem(ORGANISATION_KEY);
  if (token && organisation) {
    session = { organisation, token };
    start();
  }
});
