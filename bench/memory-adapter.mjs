// An adapter whose methods resolve at once, backed by a Map: the benchmarks' JS adapter.
export class MemoryAdapter {
  static data = new Map();
  constructor(entityName) {
    this.entityName = entityName;
  }
  async waitForInit() {}
  async hasValue(id) {
    if (id === "fail") throw new Error("adapter failure");
    return MemoryAdapter.data.has(`${this.entityName}:${id}`);
  }
  async readValue(id) {
    return MemoryAdapter.data.get(`${this.entityName}:${id}`);
  }
  async writeValue(id, value) {
    MemoryAdapter.data.set(`${this.entityName}:${id}`, value);
  }
}
