// The guide's journey as an order system and a billing system would drive it, through OVH's official Node.js
// client (npm "ovh", unmodified): list the offers, quote, changeOffers with the quoted contracts, pay (billing's
// credential), and one call the billing credential may not make. Prints one JSON document of every answer.
//
// usage: node journey.js CONFIG.json   (written by OvhNodeClientTest: host, port, service, offer, credentials)
// NODE_EXTRA_CA_CERTS must name the CA of the server's certificate.
'use strict';

const fs = require('fs');
const ovh = require('ovh');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function client(credential) {
  return ovh({
    appKey: credential.applicationKey,
    appSecret: credential.applicationSecret,
    consumerKey: credential.consumerKey,
    host: config.host,
    port: config.port,
    basePath: '/1.0',
    timeout: 20000,
  });
}

async function refusal(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return e; // {error: HTTP status, message: the body's "message"}
  }
}

async function main() {
  const orderSystem = client(config.orderSystem);
  const billing = client(config.billing);
  const service = config.service;
  const answers = {};
  answers.time = await orderSystem.requestPromised('GET', '/auth/time');
  answers.offers = await orderSystem.requestPromised('GET', `/overTheBox/${service}/migration/offers`);
  answers.quote = await orderSystem.requestPromised('GET', `/order/overTheBox/${service}/migrate`,
    { offer: config.offer });
  answers.order = await orderSystem.requestPromised('POST', `/overTheBox/${service}/migration/changeOffers`, {
    offer: config.offer,
    acceptedContracts: answers.quote.contracts.map((c) => c.name),
  });
  answers.billingMayNotChangeOffers = await refusal(billing.requestPromised('POST',
    `/overTheBox/${service}/migration/changeOffers`, { offer: config.offer, acceptedContracts: [] }));
  answers.paid = await billing.requestPromised('POST', `/me/order/${answers.order.orderId}/pay`,
    { paymentId: `pay-node-${answers.order.orderId}` });
  answers.migration = await orderSystem.requestPromised('GET', `/overTheBox/${service}/migration`);
  process.stdout.write(JSON.stringify(answers) + '\n');
}

main().catch((e) => {
  process.stderr.write('journey failed: ' + JSON.stringify(e) + ' ' + (e && e.stack ? e.stack : '') + '\n');
  process.exit(1);
});
