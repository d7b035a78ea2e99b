import type { ContainerEvent } from "../model/events";

export type EventListener = (event: ContainerEvent) => void;

/** Fans container lifecycle events out to every subscriber (each GetContainerEvents stream). */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ContainerEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A failing subscriber must not stop the others; it will notice its own broken stream.
      }
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
