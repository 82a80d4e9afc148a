#!/usr/bin/env node
import '../dist/tsbt.mjs';
