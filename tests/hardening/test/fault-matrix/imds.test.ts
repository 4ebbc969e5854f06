import { describeFaultMatrix } from './describe-fault-matrix.js'
import { IMDS_COLUMN } from './fault-columns.js'

describeFaultMatrix(IMDS_COLUMN)
