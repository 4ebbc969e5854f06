import { describeFaultMatrix } from './describe-fault-matrix.js'
import { LEGACY_APP_SERVICE_COLUMN } from './fault-columns.js'

describeFaultMatrix(LEGACY_APP_SERVICE_COLUMN)
