// A plotly chart that stays on the page from one rerun to the next and is
// updated in place (Plotly.react) when its figure changes. Streamlit calls
// this function again with the new `data` each time; `parentElement` is the
// same element every time, so the chart's <div> and its SVG are kept.

let plotlyLoaded = null;

// The gzipped copy, unpacked here: Streamlit would gzip the plain file anew for
// every visitor (~170 ms of the server's CPU, on a cold start too), and it
// sends a .gz file as it is. The plain file where the browser cannot unpack.
async function scriptAddress(source) {
  if (typeof DecompressionStream !== "function") return source;
  const response = await fetch(source + ".gz");
  if (!response.ok) return source;
  const code = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).blob();
  return URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
}

// plotly.js from the app's static folder (ui/chart_in_place.py puts it there),
// loaded once per browser tab as a classic script: it defines window.Plotly.
function loadPlotly(source) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (plotlyLoaded === null) {
    plotlyLoaded = scriptAddress(source).catch(() => source).then((address) => new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = address;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly in " + source)));
      script.onerror = () => {
        plotlyLoaded = null; // the next draw tries again
        reject(new Error("could not load " + source));
      };
      document.head.appendChild(script);
    }));
  }
  return plotlyLoaded;
}

export default function ({ parentElement, data }) {
  let chart = parentElement.querySelector(".chart-in-place");
  if (chart === null) {
    // <figure>: the chart and, under it, its text description (for screen readers too).
    const frame = document.createElement("figure");
    frame.className = "chart-in-place-figure";
    chart = document.createElement("div");
    chart.className = "chart-in-place";
    const caption = document.createElement("figcaption");
    caption.className = "chart-in-place-caption";
    frame.append(chart, caption);
    parentElement.appendChild(frame);
  }
  const caption = parentElement.querySelector(".chart-in-place-caption");
  if (caption.textContent !== data.caption) caption.textContent = data.caption;
  const figure = JSON.parse(data.figure);
  // Each draw waits for the one before, so the figure sent last is the one shown.
  chart.drawn = (chart.drawn || Promise.resolve())
    .then(() => loadPlotly(data.plotly_source))
    .then((Plotly) => {
      chart.querySelector(".chart-in-place-error")?.remove();
      return Plotly.react(chart, figure.data, figure.layout, data.config);
    })
    .catch((error) => {
      if (chart.querySelector(".chart-in-place-error") === null) {
        const message = document.createElement("p");
        message.className = "chart-in-place-error";
        message.setAttribute("role", "alert");
        message.textContent = "This chart could not be drawn (" + error.message + "). Reload the page to try again.";
        chart.appendChild(message);
      }
    });
}
