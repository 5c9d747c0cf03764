// A gRPC client on @grpc/grpc-js, the second independent gRPC implementation the tests call
// bidwire with (tests/test_grpc_clients.py). Reads a JSON list of calls on stdin, makes them
// one after the other on one channel, and writes a JSON list of results on stdout.
//
//   node grpc_client.js HOST:PORT SCHEMAS_DIR < calls.json > results.json
//
// A call: {"method": "/bidwire.v1.Bidder/Bid", "body": "<base64 request message>",
//          "gzip": false, "timeoutMs": 1000}
//   -> {"code": 0, "details": "", "body": "<base64 response message>", "trailers": {...}}
// or, through the client generated from schemas/bidwire/v1/bidder.proto by proto-loader:
//        {"stub": true, "message": {...BidRequest as an object...}}
//   -> {"code": 0, "details": "", "message": {...BidResponse as an object...}}
"use strict";

const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const [target, schemas] = process.argv.slice(2);
const identity = (buffer) => buffer;

function channelOptions(gzip) {
  // grpc.default_compression_algorithm: 2 is gzip (grpc-js compression-algorithms.ts).
  return gzip ? { "grpc.default_compression_algorithm": 2 } : {};
}

function loadBidder(gzip) {
  const definition = protoLoader.loadSync("bidwire/v1/bidder.proto", {
    includeDirs: [schemas],
    longs: Number,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
  const Bidder = grpc.loadPackageDefinition(definition).bidwire.v1.Bidder;
  return new Bidder(target, grpc.credentials.createInsecure(), channelOptions(gzip));
}

function metadataObject(metadata) {
  const out = {};
  if (metadata) {
    for (const [key, value] of Object.entries(metadata.getMap())) out[key] = String(value);
  }
  return out;
}

function callOne(clients, call) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + (call.timeoutMs || 5000));
    const result = {};
    const done = (error, response) => {
      result.code = error ? error.code : 0;
      result.details = error ? error.details : "";
      if (error) result.trailers = metadataObject(error.metadata);
      if (!error && call.stub) result.message = response;
      if (!error && !call.stub) result.body = Buffer.from(response).toString("base64");
      resolve(result);
    };
    const gz = Boolean(call.gzip);
    if (call.stub) {
      const stub = clients.stub[gz] || (clients.stub[gz] = loadBidder(gz));
      const req = stub.Bid(call.message, { deadline }, done);
      req.on("status", (status) => (result.trailers = metadataObject(status.metadata)));
      return;
    }
    const raw =
      clients.raw[gz] ||
      (clients.raw[gz] = new grpc.Client(target, grpc.credentials.createInsecure(),
                                         channelOptions(gz)));
    const req = raw.makeUnaryRequest(
      call.method, identity, identity, Buffer.from(call.body || "", "base64"),
      new grpc.Metadata(), { deadline }, done,
    );
    req.on("status", (status) => (result.trailers = metadataObject(status.metadata)));
  });
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const calls = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const clients = { raw: {}, stub: {} };
  const results = [];
  for (const call of calls) results.push(await callOne(clients, call));
  for (const group of [clients.raw, clients.stub]) {
    for (const client of Object.values(group)) client.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});

