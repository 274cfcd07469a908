/**
 * Every status page's frame: the document head (viewport for phones, colours
 * for light and dark), the header with the daemon's figures, and one small
 * script that adds what a server cannot: times in the viewer's zone, an
 * auto-refresh of the page's main part while it is visible, and a job's log
 * followed while it runs. Without the script every page still reads whole.
 * No external resource: it works offline and behind any proxy.
 */
import { count, duration, utc } from "./format.js";
import { html, raw, type Safe } from "./html.js";
import type { HeaderFigures } from "./recorder.js";

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--head:#f6f8fa;--link:#0969da;
--ok:#1a7f37;--err:#d1242f;--killed:#bc4c00;--skipped:#8c959f;--running:#0969da;--queued:#80b3ff;--none:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--head:#161b22;--link:#4493f8;
--ok:#3fb950;--err:#f85149;--killed:#db6d28;--skipped:#6e7681;--running:#4493f8;--queued:#1f4f8f;--none:#21262d}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
header{background:var(--head);border-bottom:1px solid var(--line);padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline}
header nav{display:flex;gap:1rem;font-weight:600}header nav a.here{color:var(--fg)}
.figures{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;color:var(--muted);font-size:13px}.figures b{color:var(--fg);font-weight:600}
main{padding:1rem;max-width:1400px}
h1{font-size:1.3rem;margin:.2rem 0 1rem;word-break:break-all}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--head);font-weight:600;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
dl.settings{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dl.settings dt{color:var(--muted)}dl.settings dd{margin:0;word-break:break-word}
pre{background:var(--head);border:1px solid var(--line);padding:.6rem;overflow-x:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
pre.log{max-height:70vh;overflow-y:auto}.log .warn{color:var(--killed)}.log .error{color:var(--err)}
.muted,.yours{color:var(--muted)}.yours{display:block;font-size:12px}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:12px;font-weight:600;color:#fff;background:var(--skipped);white-space:nowrap}
.badge.s-success{background:var(--ok)}.badge.s-error{background:var(--err)}.badge.s-killed{background:var(--killed)}
.badge.s-running{background:var(--running)}.badge.s-queued{background:var(--queued);color:var(--fg)}.badge.s-never,.badge.s-paused{background:var(--none);color:var(--fg)}
svg rect.s-success{fill:var(--ok)}svg rect.s-error{fill:var(--err)}svg rect.s-killed{fill:var(--killed)}svg rect.s-skipped{fill:var(--skipped)}
svg rect.s-running{fill:var(--running)}svg rect.s-queued{fill:var(--queued)}svg rect.s-none{fill:var(--none)}
svg circle.catchup{fill:var(--fg)}svg .axis{fill:var(--muted);font-size:9px}svg.spark polyline{fill:none;stroke:var(--link);stroke-width:1.5}
.strip{display:block}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure.chart{margin:0}figure.chart svg{max-width:100%;height:64px;border-bottom:1px solid var(--line)}figure.chart figcaption{color:var(--muted);font-size:12px}
form.filter{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 .75rem}
form.filter input,form.filter select,form.filter button{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.75rem;color:var(--muted);font-size:12px;margin:.5rem 0}
.legend i{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin-right:.25rem;vertical-align:-1px}
@media (max-width:700px){main{padding:.6rem}th,td{padding:.3rem .4rem}.hide-narrow{display:none}}
`;

/** The page's script: viewer-zone times, refresh of `main` while visible, a running job's log followed. No dependency. */
const SCRIPT = `
(function(){
  var mine="";try{mine=Intl.DateTimeFormat().resolvedOptions().timeZone||"";}catch(e){}
  function localize(root){
    root.querySelectorAll("time[data-local]").forEach(function(t){
      if(t.dataset.zone===mine||(mine==="Etc/UTC"&&t.dataset.zone==="UTC"))return;
      var d=new Date(t.getAttribute("datetime"));if(isNaN(d.getTime()))return;
      var s=d.toLocaleString(undefined,{year:"numeric",month:"short",day:"numeric",hour:"2-digit",minute:"2-digit",second:"2-digit",timeZoneName:"short"});
      var n=t.nextElementSibling;
      if(!n||!n.classList.contains("yours")){n=document.createElement("span");n.className="yours";t.after(n);}
      n.textContent="your time: "+s;
    });
  }
  function refresh(){
    var a=document.activeElement;if(a&&(a.tagName==="INPUT"||a.tagName==="SELECT"))return Promise.resolve();
    return fetch(location.href,{headers:{accept:"text/html"}}).then(function(r){return r.ok?r.text():null}).then(function(text){
      if(!text)return;var doc=new DOMParser().parseFromString(text,"text/html");
      ["main",".figures"].forEach(function(sel){var o=document.querySelector(sel),n=doc.querySelector(sel);if(o&&n)o.replaceWith(n);});
      localize(document);follow();
    }).catch(function(){});
  }
  var following=false;
  function follow(){
    var log=document.getElementById("log");if(!log||log.dataset.live!=="1"||following)return;following=true;
    var job=log.dataset.job;
    function poll(){
      fetch("/jobs/"+job+"/log?after="+(log.dataset.after||"0")).then(function(r){return r.json()}).then(function(d){
        var atEnd=log.scrollTop+log.clientHeight>=log.scrollHeight-4;
        d.lines.forEach(function(l){var s=document.createElement("span");s.className=l.level;s.textContent=l.text+"\\n";log.appendChild(s);log.dataset.after=String(l.seq);});
        if(atEnd)log.scrollTop=log.scrollHeight;
        var st=document.getElementById("job-status");if(st){st.textContent=d.status;st.className="badge s-"+d.status;}
        var rc=document.getElementById("job-records");if(rc)rc.textContent=d.records;
        if(d.more){setTimeout(poll,50);}else if(d.done){following=false;log.dataset.live="0";setTimeout(refresh,300);}else{setTimeout(poll,1000);}
      }).catch(function(){setTimeout(poll,3000);});
    }
    poll();
  }
  localize(document);follow();
  var every=Number(document.body.dataset.refresh||0);
  if(every>0)setInterval(function(){if(document.visibilityState==="visible")refresh();},every*1000);
})();
`;

export type Section = "schedules" | "tables" | "none";

/** The header's figures: uptime, jobs, firing lateness, Iterable requests of the last hour. */
export function figures(f: HeaderFigures): Safe {
  const late = (ms: number | undefined): string => (ms === undefined ? "—" : ms < 1000 ? `${Math.round(ms)} ms` : duration(ms));
  return html`<div class="figures">
<span title="since ${utc(f.startedAt)}">up <b>${duration(f.uptimeMs)}</b></span>
<span><b>${count(f.running)}</b> running, <b>${count(f.queued)}</b> queued</span>
<span title="over the last ${count(f.latenessSamples)} firings">firing lateness p50 <b>${late(f.latenessP50)}</b>, p99 <b>${late(f.latenessP99)}</b></span>
<span>Iterable, last hour: <b>${count(f.requestsLastHour)}</b> requests, <b>${count(f.tooManyLastHour)}</b> 429s</span>
</div>`;
}

/** A whole page. `refreshSeconds`: the script reloads `main` that often while the page is visible (0: never). */
export function page(options: { title: string; section: Section; figures: HeaderFigures; body: Safe; refreshSeconds?: number }): string {
  const here = (s: Section): string => (s === options.section ? "here" : "");
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="robots" content="noindex"><link rel="icon" href="data:,">
<title>${options.title} · itd</title><style>${raw(CSS)}</style></head>
<body data-refresh="${options.refreshSeconds ?? 0}">
<header><nav><a class="${here("schedules")}" href="/">Schedules</a><a class="${here("tables")}" href="/tables">Tables</a></nav>
${figures(options.figures)}</header>
<main>${options.body}</main>
<script>${raw(SCRIPT)}</script>
</body></html>
`.text;
}

/** The legend of the slot strip's colours. */
export function legend(): Safe {
  const item = (status: string, label: string): Safe => html`<span><i class="badge s-${status}"></i>${label}</span>`;
  return html`<div class="legend">${item("success", "success")}${item("error", "error")}${item("killed", "killed")}${item("skipped", "skipped (missed)")}${item("running", "running")}${item("queued", "queued")}<span>● run late by catch-up</span></div>`;
}

/** A status as a coloured badge. */
export function badge(status: string, id?: string): Safe {
  return html`<span class="badge s-${status}"${id === undefined ? "" : raw(` id="${id}"`)}>${status}</span>`;
}
