import { describeFaultMatrix } from './describe-fault-matrix.js'
import { APP_SERVICE_COLUMN } from './fault-columns.js'

describeFaultMatrix(APP_SERVICE_COLUMN)
