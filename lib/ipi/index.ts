// i-PI protocol client: serve a lodestone ForceField to i-PI, ASE's
// SocketIOCalculator or any other i-PI-speaking MD driver.
export { serveForceField, describeAddress } from './client.js';
export type { ServeOptions, ServeSummary, StepInfo } from './client.js';
export { MessageDecoder, encodeMessage, IpiProtocolError, HEADERS, HEADER_BYTES, CODATA2014 } from './protocol.js';
export type { Message, Header, AtomicUnits, DecoderLimits } from './protocol.js';
