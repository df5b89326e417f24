// Runs an exported generator.onnx in onnxruntime-node on the z of `wgan sample --seed S --num N`
// (drawn by web/torch_random.js) and compares the images with the float32 .npy that
// `wgan sample --npy` wrote for the same seed. Prints one JSON line: the largest absolute difference
// and the model's input and output names and the output's shape.
// A conditional model gets CLASS (an index) for every image.
// Usage: node onnx_runtime_check.js NODE_MODULES MODEL.onnx SEED LATENT_DIM REFERENCE.npy [CLASS]
'use strict';
const fs = require('fs');
const path = require('path');
const [nodeModules, modelPath, seed, latentText, referencePath, classText] = process.argv.slice(2);
const ort = require(path.join(nodeModules, 'onnxruntime-node'));
const random = require(path.join(__dirname, '..', '..', 'web', 'torch_random.js'));

// numpy .npy version 1.0, little-endian float32, C order.
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'<f4'")) throw new Error(file + ': not float32 (' + header + ')');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const start = 10 + headerLength;
  return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length)) };
}

(async () => {
  const session = await ort.InferenceSession.create(modelPath);
  const reference = readNpy(referencePath);
  const count = reference.shape[0], latent = Number(latentText);
  const z = random.latents(BigInt(seed), count, latent);
  const feeds = { z: new ort.Tensor('float32', z, [count, latent]) };
  if (classText !== undefined)
    feeds.class = new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(classText)), [count]);
  const images = (await session.run(feeds)).images;
  if (images.data.length !== reference.data.length)
    throw new Error('output ' + images.dims + ' but the reference is ' + reference.shape);
  let maxDiff = 0;
  for (let i = 0; i < images.data.length; ++i) maxDiff = Math.max(maxDiff, Math.abs(images.data[i] - reference.data[i]));
  console.log(JSON.stringify({ max_abs_diff: maxDiff, dims: images.dims, inputs: session.inputNames,
                               outputs: session.outputNames }));
})().catch((error) => { console.error(String(error)); process.exit(1); });
