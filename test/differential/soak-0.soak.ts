import { soakShard } from './soak.js';

soakShard(0, 2);
