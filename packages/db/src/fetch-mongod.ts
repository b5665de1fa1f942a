// Used by script/bootstrap: asks mongodb-memory-server for a mongod binary
// (cached, or downloaded where the network allows). Exits 1 when there is none.
import { MongoBinary } from 'mongodb-memory-server-core';

try {
  console.log(await MongoBinary.getPath());
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
