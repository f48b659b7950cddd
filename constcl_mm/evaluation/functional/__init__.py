# Copyright (c) constcl_mm authors. All rights reserved.
