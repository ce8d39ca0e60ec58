/** Reads and writes workflow histories as JSON files for the replay test. */
import proto from '@temporalio/proto';

const { History } = proto.temporal.api.history.v1;
type HistoryMessage = proto.temporal.api.history.v1.History;

// NOTE: the SDK's historyToJSON and historyFromJSON (@temporalio/common 1.24.0) throw "type must be
// a Type" in this install, because @temporalio/common and @temporalio/proto each carry their own nested
// protobufjs 8 copy. The protobufjs object form used here instead keeps int64 values as strings, enums
// as names and bytes as base64. It can go once `npm dedupe` leaves one protobufjs 8 copy.
const OBJECT_OPTIONS = { longs: String, enums: String, bytes: String } as const;

/** Serializes a fetched history as indented JSON text. */
export function historyToText(history: proto.temporal.api.history.v1.IHistory): string {
  return `${JSON.stringify(History.toObject(History.fromObject(history), OBJECT_OPTIONS), null, 1)}\n`;
}

/** Parses JSON text written by historyToText back into a history message. */
export function historyFromText(text: string): HistoryMessage {
  return History.fromObject(JSON.parse(text) as Record<string, unknown>);
}
