// The event display page (opencoffea.display.page): draws the scene embedded as JSON with plotly.
// All geometry comes computed from Python (opencoffea.display.trajectories); this script only
// chooses what to show (event, collections, pT thresholds) and projects 3D points on the views:
// r-φ is (x, y); ρ-z is (z, ±ρ), the sign of ρ being that of the object's sin φ.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("display-data").textContent);
  const EVENTS = DATA.events;
  const KINDS = DATA.collections;
  const DETECTOR = DATA.detector;
  const SYSTEMS = {
    tracker: "#8a8f98", ecal: "#5fae7e", hcal: "#6b8cc7", magnet: "#a39467", muon: "#c07070",
  };
  const MET_COLOUR = "#e377c2";
  const BACKGROUND = "#0d1117";
  const CONFIG = {
    displaylogo: false, responsive: true, showLink: false, showSendToCloud: false,
    showEditInChartStudio: false, plotlyServerURL: "", typesetMath: false,
  };
  const state = { event: 0, visible: {}, minPt: {}, met: true, vertices: true, detector: true };
  KINDS.forEach(function (kind, k) { state.visible[k] = kind.visible; state.minPt[k] = kind.min_pt; });

  function kindOf(name) {
    return KINDS.findIndex(function (kind) { return kind.names.indexOf(name) >= 0; });
  }
  function text(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
    return String(value);
  }
  function eventName(event) {
    const id = event.id;
    if (id.run === null && id.event === null) return "entry " + text(event.entry);
    return [id.run, id.lumi, id.event].map(text).join(":");
  }
  function quantitiesText(event) {
    return Object.keys(event.quantities).map(function (key) {
      return key + " = " + text(event.quantities[key]);
    }).join(", ");
  }
  function alpha(hex, opacity) {
    const value = parseInt(hex.slice(1), 16);
    return "rgba(" + [(value >> 16) & 255, (value >> 8) & 255, value & 255, opacity].join(",") + ")";
  }
  function project(view, x, y, z, side) {
    if (view === "xy") return [x, y];
    return [z, side * Math.hypot(x, y)];
  }

  // ------------------------------------------------------------------ traces of one view
  function detectorTraces(view) {
    if (!state.detector) return [];
    if (view === "3d") {
      return DETECTOR.wireframe.map(function (part) {
        return {
          type: "scatter3d", mode: "lines", x: part.x, y: part.y, z: part.z, name: part.name,
          line: { color: SYSTEMS[part.system], width: 1 }, opacity: 0.3,
          hoverinfo: "skip", showlegend: false,
        };
      });
    }
    return DETECTOR[view].map(function (part) {
      return {
        type: "scatter", mode: "lines", x: part.x, y: part.y, name: part.name, fill: "toself",
        fillcolor: alpha(SYSTEMS[part.system], 0.1), line: { color: alpha(SYSTEMS[part.system], 0.6), width: 1 },
        hoverinfo: "skip", showlegend: false,
      };
    });
  }

  function lineTraces(view, name, kind, objects) {
    const traces = [];
    [false, true].forEach(function (marked) {
      const xs = [], ys = [], zs = [], data = [];
      objects.forEach(function (object, position) {
        if (object.marked !== marked || !object.path) return;
        const path = object.path, side = Math.sin(object.phi) >= 0 ? 1 : -1;
        for (let p = 0; p < path[0].length; p++) {
          if (view === "3d") {
            xs.push(path[0][p]); ys.push(path[1][p]); zs.push(path[2][p]);
          } else {
            const point = project(view, path[0][p], path[1][p], path[2][p], side);
            xs.push(point[0]); ys.push(point[1]);
          }
          data.push(position);
        }
        xs.push(null); ys.push(null); zs.push(null); data.push(null);
      });
      if (!data.length) return;
      const trace = {
        x: xs, y: ys, customdata: data, mode: "lines", meta: { name: name },
        name: kind.label + (marked ? " (marked)" : ""),
        line: { color: kind.colour, width: marked ? (view === "3d" ? 8 : 3.5) : (view === "3d" ? 3 : 1.5) },
        hovertemplate: "<b>" + name + "</b><extra></extra>", showlegend: false,
      };
      if (view === "3d") { trace.type = "scatter3d"; trace.z = zs; } else { trace.type = "scatter"; }
      traces.push(trace);
    });
    return traces;
  }

  function coneTraces(view, name, kind, objects) {
    return objects.filter(function (object) { return object.cone; }).map(function (object) {
      const meta = { name: name, position: objects.indexOf(object) };
      const opacity = object.marked ? 0.6 : 0.3;
      const label = "<b>" + name + "</b> " + text(object.pt) + " GeV<extra></extra>";
      if (view === "3d") {
        const cone = object.cone, sides = cone[0].length;
        const i = [], j = [], k = [];
        for (let t = 0; t < sides; t++) { i.push(0); j.push(1 + t); k.push(1 + ((t + 1) % sides)); }
        return {
          type: "mesh3d", x: [object.apex[0]].concat(cone[0]), y: [object.apex[1]].concat(cone[1]),
          z: [object.apex[2]].concat(cone[2]), i: i, j: j, k: k, color: object.colour,
          opacity: opacity, flatshading: true, meta: meta, hovertemplate: label, showlegend: false,
        };
      }
      const wedge = object[view];
      return {
        type: "scatter", mode: "lines", x: wedge[0], y: wedge[1], fill: "toself",
        fillcolor: alpha(object.colour, opacity), meta: meta, hovertemplate: label, hoveron: "fills",
        line: { color: object.colour, width: object.marked ? 2.5 : 1 }, showlegend: false,
      };
    });
  }

  function vertexTraces(view, event) {
    if (!state.vertices) return [];
    const points = [{ where: event.vertex, colour: "#ffffff", name: "primary vertex", size: 4 }];
    (event.collections.SV || []).forEach(function (sv) {
      if (state.visible[kindOf("SV")]) points.push({ where: sv.point, colour: "#00bcd4", name: "SV", size: 3 });
    });
    return points.map(function (point) {
      const w = point.where;
      const trace = {
        mode: "markers", marker: { color: point.colour, size: point.size }, name: point.name,
        hovertemplate: point.name + "<extra></extra>", showlegend: false,
      };
      if (view === "3d") return Object.assign(trace, { type: "scatter3d", x: [w[0]], y: [w[1]], z: [w[2]] });
      const p = project(view, w[0], w[1], w[2], w[1] >= 0 ? 1 : -1);
      return Object.assign(trace, { type: "scatter", x: [p[0]], y: [p[1]] });
    });
  }

  function metTraces(view, event) {
    const met = event.met;
    if (!met || !state.met) return { traces: [], annotations: [] };
    const a = met.arrow, label = "MET " + text(met.pt) + " GeV";
    if (view === "3d") {
      return {
        traces: [{
          type: "scatter3d", mode: "lines", x: a[0], y: a[1], z: a[2], name: label,
          line: { color: MET_COLOUR, width: 6 }, hovertemplate: label + "<extra></extra>", showlegend: false,
        }, {
          type: "cone", x: [a[0][1]], y: [a[1][1]], z: [a[2][1]], u: [a[0][1] - a[0][0]],
          v: [a[1][1] - a[1][0]], w: [0], anchor: "tip", sizemode: "absolute", sizeref: 0.4,
          colorscale: [[0, MET_COLOUR], [1, MET_COLOUR]], showscale: false, hoverinfo: "skip",
        }],
        annotations: [],
      };
    }
    const side = Math.sin(met.phi) >= 0 ? 1 : -1;
    const tail = project(view, a[0][0], a[1][0], a[2][0], side);
    const head = view === "xy" ? [a[0][1], a[1][1]] : [a[2][1], side * Math.hypot(a[0][1] - a[0][0], a[1][1] - a[1][0])];
    return {
      traces: [],
      annotations: [{
        x: head[0], y: head[1], ax: tail[0], ay: tail[1], xref: "x", yref: "y", axref: "x", ayref: "y",
        showarrow: true, arrowhead: 2, arrowwidth: 2.5, arrowcolor: MET_COLOUR, text: label,
        font: { color: MET_COLOUR }, xanchor: "left",
      }],
    };
  }

  function viewTraces(view, event) {
    let traces = detectorTraces(view);
    Object.keys(event.collections).forEach(function (name) {
      const k = kindOf(name);
      if (k < 0 || !state.visible[k] || KINDS[k].kind === "sv") return;
      const shown = event.collections[name].map(function (object) {
        return object.pt >= state.minPt[k] || object.marked ? object : Object.assign({}, object, { path: null, cone: null });
      });
      const maker = KINDS[k].kind === "jet" ? coneTraces : lineTraces;
      traces = traces.concat(maker(view, name, KINDS[k], shown.map(function (o) {
        return o.cone ? Object.assign({ apex: event.vertex }, o) : o;
      })));
    });
    return traces.concat(vertexTraces(view, event));
  }

  // ------------------------------------------------------------------ layout and drawing
  const AXIS = { color: "#8b949e", gridcolor: "#21262d", zerolinecolor: "#30363d" };
  function layout(view, annotations) {
    const base = {
      paper_bgcolor: BACKGROUND, plot_bgcolor: BACKGROUND, font: { color: "#d0d4da", size: 11 },
      margin: { l: 40, r: 10, t: 28, b: 34 }, hovermode: "closest", annotations: annotations || [],
      uirevision: view,
    };
    if (view === "3d") {
      base.margin = { l: 0, r: 0, t: 0, b: 0 };
      base.scene = {
        aspectmode: "data", bgcolor: BACKGROUND,
        xaxis: Object.assign({ title: { text: "x [m]" } }, AXIS),
        yaxis: Object.assign({ title: { text: "y [m]" } }, AXIS),
        zaxis: Object.assign({ title: { text: "z [m]" } }, AXIS),
        camera: { eye: { x: 0.75, y: 0.45, z: 0.35 } },
      };
      return base;
    }
    const xy = view === "xy";
    base.title = { text: xy ? "r-φ (seen from +z)" : "ρ-z (ρ signed by sin φ)", font: { size: 12 }, x: 0.01, xanchor: "left" };
    base.xaxis = Object.assign({ title: { text: xy ? "x [m]" : "z [m]" }, range: xy ? [-8, 8] : [-11, 11] }, AXIS);
    base.yaxis = Object.assign({ title: { text: xy ? "y [m]" : "ρ [m]" }, range: [-8, 8], scaleanchor: "x" }, AXIS);
    return base;
  }

  function draw() {
    const event = EVENTS[state.event];
    let count = 0;
    ["3d", "xy", "rz"].forEach(function (view) {
      const met = metTraces(view, event);
      const traces = viewTraces(view, event).concat(met.traces);
      count += traces.length;
      Plotly.react("view-" + view, traces, layout(view, met.annotations), CONFIG);
    });
    renderTitle(event);
    renderList();
    renderCollections(event);
    document.body.dataset.drawn = state.event + ":" + count;
  }

  // ------------------------------------------------------------------ the side panel
  function renderTitle(event) {
    const parts = ["<b>" + eventName(event) + "</b>"];
    if (event.sqrt_s) parts.push("√s = " + event.sqrt_s + " TeV");
    if (event.data === false) parts.push("simulation");
    const q = quantitiesText(event);
    if (q) parts.push(q);
    if (event.met) parts.push("MET " + text(event.met.pt) + " GeV (arrow 2 m · √(MET / 100 GeV))");
    const title = document.getElementById("event-title");
    title.innerHTML = parts.join(" · ") + ' <span class="dataset"></span>';
    title.querySelector(".dataset").textContent = " · " + (event.dataset || "") + " · entry " + text(event.entry);
  }

  function renderList() {
    const list = document.getElementById("event-list");
    list.textContent = "";
    EVENTS.forEach(function (event, index) {
      const item = document.createElement("li");
      item.textContent = eventName(event);
      const q = quantitiesText(event);
      if (q) {
        const small = document.createElement("span");
        small.className = "quantities";
        small.textContent = q;
        item.appendChild(small);
      }
      if (index === state.event) item.className = "current";
      item.onclick = function () { go(index); };
      list.appendChild(item);
    });
    document.getElementById("position").textContent = (state.event + 1) + " / " + EVENTS.length;
  }

  function checkbox(checked, change) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = checked;
    box.onchange = function () { change(box.checked); draw(); };
    return box;
  }

  function renderCollections(event) {
    const table = document.getElementById("collections");
    table.textContent = "";
    const head = table.insertRow();
    ["", "collection", "shown", "pT ≥"].forEach(function (label) {
      const cell = document.createElement("th"); cell.textContent = label; head.appendChild(cell);
    });
    KINDS.forEach(function (kind, k) {
      const name = kind.names.find(function (n) { return n in event.collections; });
      if (!name) return;
      const objects = event.collections[name];
      const row = table.insertRow();
      row.insertCell().appendChild(checkbox(state.visible[k], function (on) { state.visible[k] = on; }));
      const label = row.insertCell();
      label.innerHTML = '<span class="swatch" style="background:' + kind.colour + '"></span>';
      label.appendChild(document.createTextNode(kind.label + " (" + name + ")"));
      const shown = objects.filter(function (o) { return o.pt >= state.minPt[k] || o.marked; }).length;
      const count = row.insertCell(); count.className = "number"; count.textContent = shown + " / " + objects.length;
      const cut = document.createElement("input");
      cut.type = "number"; cut.min = 0; cut.step = 1; cut.value = state.minPt[k];
      cut.onchange = function () { state.minPt[k] = parseFloat(cut.value) || 0; draw(); };
      row.insertCell().appendChild(cut);
    });
    [["met", "Missing pT (MET)", MET_COLOUR], ["vertices", "Primary vertex", "#ffffff"], ["detector", "Detector outlines", "#8a8f98"]]
      .forEach(function (item) {
        const row = table.insertRow();
        row.insertCell().appendChild(checkbox(state[item[0]], function (on) { state[item[0]] = on; }));
        const label = row.insertCell();
        label.colSpan = 3;
        label.innerHTML = '<span class="swatch" style="background:' + item[2] + '"></span>';
        label.appendChild(document.createTextNode(item[1]));
      });
  }

  function showObject(name, position) {
    const object = EVENTS[state.event].collections[name][position];
    const table = document.getElementById("object");
    table.textContent = "";
    const rows = [["collection", name + "[" + object.index + "]"], ["pT [GeV]", object.pt], ["η", object.eta],
      ["φ", object.phi], ["charge", object.charge]];
    if ("btag" in object) rows.push(["b-tagged", object.btag ? "yes" : "no"]);
    if (object.marked) rows.push(["marked", "yes"]);
    Object.keys(object.properties).forEach(function (key) { rows.push([key, object.properties[key]]); });
    rows.forEach(function (pair) {
      const row = table.insertRow();
      const key = document.createElement("th"); key.textContent = pair[0]; row.appendChild(key);
      const value = row.insertCell(); value.className = "number"; value.textContent = text(pair[1]);
    });
  }

  function onPoint(data) {
    const point = data && data.points && data.points[0];
    if (!point || !point.data || !point.data.meta) return;
    const meta = point.data.meta;
    const position = meta.position !== undefined ? meta.position : point.customdata;
    if (position === null || position === undefined) return;
    showObject(meta.name, position);
  }

  function go(index) {
    state.event = (index + EVENTS.length) % EVENTS.length;
    document.getElementById("object").textContent = "";
    draw();
  }

  document.getElementById("prev").onclick = function () { go(state.event - 1); };
  document.getElementById("next").onclick = function () { go(state.event + 1); };
  document.addEventListener("keydown", function (key) {
    if (key.target.tagName === "INPUT") return;
    if (key.key === "ArrowLeft") go(state.event - 1);
    if (key.key === "ArrowRight") go(state.event + 1);
  });
  if (!EVENTS.length) {
    document.getElementById("event-title").textContent = "No events to show.";
    document.body.dataset.drawn = "none";
    return;
  }
  draw();
  ["3d", "xy", "rz"].forEach(function (view) {
    const element = document.getElementById("view-" + view);
    element.on("plotly_hover", onPoint);
    element.on("plotly_click", onPoint);
  });
})();
