// The page of `wgan export --web`: runs generator.onnx with onnxruntime-web (WebAssembly, one
// thread) and draws the grid of a seed, a walk between two seeds, and saves the grid as PNG. A
// conditional model (model.classes not empty) gets a class picker; every image is of that class.
// With ?selftest=1 it also posts what it drew to /selftest (the browser test of wgan's suite).
(function () {
  'use strict';
  const model = window.WGAN_MODEL;
  const conditional = !!(model && model.classes && model.classes.length > 0);
  const gridCount = 64, gridColumns = 8, padding = 1;  // wgan sample's grid: nrow 8, padding 1, pad 0.5
  const $ = (id) => document.getElementById(id);

  function fail(message) {
    const box = $('error');
    box.hidden = false;
    box.textContent = message;
    $('about').textContent = '';
  }

  function explainLoadFailure(error) {
    if (location.protocol === 'file:') {
      return 'This browser does not run WebAssembly or load the model from a page opened as a file (file://).\n' +
             'Serve the folder instead:\n  cd ' + decodeURIComponent(location.pathname.replace(/\/[^/]*$/, '')) +
             ' && python3 -m http.server 8000\nthen open http://127.0.0.1:8000/\n\n(' + error + ')';
    }
    return 'Could not load the generator: ' + error;
  }

  // [-1, 1] -> 0..255 as wgan's PNGs: round((x + 1) * 127.5), clamped.
  const toByte = (v) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));

  // Draws `count` images (N x C x H x W floats) into `canvas`, `columns` per row, with wgan's grid
  // layout: `pad` pixels of mid-grey (128) around every cell.
  function drawGrid(canvas, data, count, columns, pad) {
    const side = model.resolution, channels = model.channels;
    const rows = Math.ceil(count / columns), cols = Math.min(columns, count);
    canvas.width = cols * (side + pad) + pad;
    canvas.height = rows * (side + pad) + pad;
    const context = canvas.getContext('2d');
    const pixels = context.createImageData(canvas.width, canvas.height);
    pixels.data.fill(128);
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
    const plane = side * side;
    for (let n = 0; n < count; ++n) {
      const top = Math.floor(n / columns) * (side + pad) + pad, left = (n % columns) * (side + pad) + pad;
      const base = n * channels * plane;
      for (let y = 0; y < side; ++y) {
        for (let x = 0; x < side; ++x) {
          const at = ((top + y) * canvas.width + left + x) * 4, p = y * side + x;
          for (let c = 0; c < 3; ++c) pixels.data[at + c] = toByte(data[base + (channels === 3 ? c : 0) * plane + p]);
        }
      }
    }
    context.putImageData(pixels, 0, 0);
  }

  let session = null;
  let previousRun = Promise.resolve();
  // One session.run at a time (onnxruntime-web refuses overlapping runs; a slider fires quickly).
  function generate(latents, count) {
    const run = previousRun.catch(() => {}).then(async () => {
      const feeds = { z: new ort.Tensor('float32', latents, [count, model.latent_dim]) };
      if (conditional) feeds.class = new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(chosenClass())), [count]);
      return (await session.run(feeds)).images.data;
    });
    previousRun = run;
    return run;
  }

  const chosenClass = () => Number($('class').value) || 0;

  // The class as `wgan sample --class` takes it: the name, quoted when the shell needs it.
  const classFlag = () => {
    if (!conditional) return '';
    const name = model.classes[chosenClass()];
    return ' --class ' + (/^[A-Za-z0-9_.\/-]+$/.test(name) ? name : "'" + name.replace(/'/g, "'\\''") + "'");
  };

  const readSeed = (input) => {
    const value = Math.max(0, Math.floor(Number(input.value) || 0));
    input.value = value;
    return value;
  };

  async function showGrid() {
    const seed = readSeed($('seed'));
    $('sample-command').textContent = 'wgan sample --seed ' + seed + ' --num 64' + classFlag();
    const started = performance.now();
    const images = await generate(WganRandom.latents(seed, gridCount, model.latent_dim), gridCount);
    const milliseconds = performance.now() - started;
    drawGrid($('grid'), images, gridCount, gridColumns, padding);
    $('timing').textContent = gridCount + ' images in ' + milliseconds.toFixed(0) + ' ms';
    return milliseconds;
  }

  async function showWalk() {
    const t = Number($('walk').value) / 100;
    $('walk-position').textContent = t.toFixed(2);
    const a = WganRandom.latentForSeed(readSeed($('seed-a')), model.latent_dim);
    const b = WganRandom.latentForSeed(readSeed($('seed-b')), model.latent_dim);
    drawGrid($('walk-image'), await generate(WganRandom.slerp(a, b, t), 1), 1, 1, 0);
  }

  function saveGrid() {
    $('grid').toBlob((blob) => {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'wgan-seed-' + readSeed($('seed')) + (conditional ? '-class-' + chosenClass() : '') + '.png';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    }, 'image/png');
  }

  const canvasBytes = (canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let text = '';
    for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, rgba: btoa(text) };
  };

  // ?selftest=1&seed=S[&class=K]: draw seed S (of class K), then the walk at 0 and at 0.5, and post
  // all three canvases with the grid's generation time.
  async function selftest(params) {
    $('seed').value = params.get('seed') || '0';
    if (conditional) $('class').value = params.get('class') || '0';
    const milliseconds = await showGrid();
    const report = { seed: readSeed($('seed')), grid_ms: milliseconds, grid: canvasBytes($('grid')) };
    $('walk').value = 0;
    await showWalk();
    report.walk_start = canvasBytes($('walk-image'));
    $('walk').value = 50;
    await showWalk();
    report.walk_middle = canvasBytes($('walk-image'));
    await fetch('/selftest', { method: 'POST', body: JSON.stringify(report) });
  }

  async function main() {
    if (!model) return fail('model.js is missing: this folder was not written by wgan export --web.');
    if (typeof ort === 'undefined') return fail('ort.wasm.min.js (onnxruntime-web) is missing from this folder.');
    $('about').textContent = model.arch + ' generator, ' + model.resolution + 'x' + model.resolution + ' ' +
        (model.channels === 3 ? 'RGB' : 'gray') + ', latent ' + model.latent_dim + ', ' + model.step +
        ' generator steps (' + model.weights + ' weights), wgan ' + model.wgan_version;
    if (conditional) {
      model.classes.forEach((name, index) => $('class').add(new Option(name, String(index))));
      $('class-choice').hidden = false;
      $('about').textContent += ', ' + model.classes.length + ' classes';
    }
    ort.env.wasm.numThreads = 1;  // threads need cross-origin isolation that a plain static server lacks
    ort.env.wasm.wasmPaths = new URL('./', location.href).href;
    try {
      session = await ort.InferenceSession.create('generator.onnx', { executionProviders: ['wasm'] });
    } catch (error) {
      return fail(explainLoadFailure(error));
    }
    const params = new URLSearchParams(location.search);
    if (params.get('selftest')) return selftest(params);
    $('seed').value = Math.floor(Math.random() * 1e9);
    $('seed').addEventListener('change', showGrid);
    $('new').addEventListener('click', () => { $('seed').value = Math.floor(Math.random() * 1e9); showGrid(); });
    $('save').addEventListener('click', saveGrid);
    $('walk').addEventListener('input', showWalk);
    $('seed-a').addEventListener('change', showWalk);
    $('seed-b').addEventListener('change', showWalk);
    $('class').addEventListener('change', async () => { await showGrid(); await showWalk(); });
    await showGrid();
    await showWalk();
  }

  main().catch((error) => fail('Error: ' + error));
})();
