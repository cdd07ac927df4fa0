// Query: tileset=URL, pos=x,y,z, dir=x,y,z, up=x,y,z (ECEF), fovy=degrees (vertical), sse=16.
"use strict";
const q = new URLSearchParams(location.search);
const vec = (name) => { const v = q.get(name).split(",").map(Number); return new Cesium.Cartesian3(v[0], v[1], v[2]); };

function post(path, body) {
  return fetch(path, { method: "POST", body: body });
}

async function main() {
  const box = document.getElementById("view");  // the drawing size, whatever the window's chrome
  box.style.width = `${q.get("w") || 1280}px`;
  box.style.height = `${q.get("h") || 720}px`;
  const viewer = new Cesium.Viewer("view", {
    baseLayer: false, globe: false, skyBox: false, skyAtmosphere: false, animation: false, timeline: false,
    geocoder: false, homeButton: false, sceneModePicker: false, baseLayerPicker: false,
    navigationHelpButton: false, fullscreenButton: false, infoBox: false, selectionIndicator: false,
    contextOptions: { webgl: { preserveDrawingBuffer: true } },
  });
  viewer.bottomContainer.style.display = "none";  // credits
  const scene = viewer.scene;
  scene.screenSpaceCameraController.enableInputs = false;
  scene.backgroundColor = Cesium.Color.fromCssColorString(q.get("bg") || "#4d5966");
  const tileset = await Cesium.Cesium3DTileset.fromUrl(q.get("tileset"),
    { maximumScreenSpaceError: Number(q.get("sse") || 16) });
  scene.primitives.add(tileset);
  const canvas = scene.canvas;
  const aspect = canvas.clientWidth / canvas.clientHeight;
  const fovy = Cesium.Math.toRadians(Number(q.get("fovy") || 30));
  // Cesium's fov is the horizontal angle when the view is wider than high.
  scene.camera.frustum.fov = aspect > 1 ? 2 * Math.atan(Math.tan(fovy / 2) * aspect) : fovy;
  scene.camera.frustum.near = Number(q.get("near") || 0.1);
  scene.camera.setView({
    destination: vec("pos"),
    orientation: { direction: Cesium.Cartesian3.normalize(vec("dir"), new Cesium.Cartesian3()),
                   up: Cesium.Cartesian3.normalize(vec("up"), new Cesium.Cartesian3()) },
  });
  let frames = -1;
  tileset.allTilesLoaded.addEventListener(() => { if (frames < 0) frames = 0; });
  scene.postRender.addEventListener(() => {
    if (frames < 0) return;
    frames += 1;
    if (frames === 10) {  // a few frames after the last tile: textures uploaded, fade done
      const c = scene.camera;
      const state = { pos: c.positionWC, dir: c.directionWC, up: c.upWC, fov: c.frustum.fov,
                      fovy: c.frustum.fovy, aspect: c.frustum.aspectRatio, width: canvas.width, height: canvas.height };
      post("/camera", JSON.stringify(state));
      const url = canvas.toDataURL("image/png");
      post("/result", url).then(() => { document.title = "done"; });
    }
  });
}

main().catch((err) => post("/error", String(err && err.stack || err)));
