import { describeFaultMatrix } from './describe-fault-matrix.js'
import { WORKLOAD_IDENTITY_COLUMN } from './fault-columns.js'

describeFaultMatrix(WORKLOAD_IDENTITY_COLUMN)
