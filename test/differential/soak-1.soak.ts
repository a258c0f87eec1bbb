import { soakShard } from './soak.js';

soakShard(1, 2);
