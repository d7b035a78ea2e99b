/** Nanoseconds since the Unix epoch. CRI timestamps exceed 2^53, hence bigint. */
export type Nanos = bigint;

export type StringMap = Readonly<Record<string, string>>;

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}
